// Python binding of mmcv._ext: the compiled ops that mmcv/ops/*.py call.
#include <torch/extension.h>

#include "focal_loss.h"

namespace {

bool with_cuda() {
#ifdef WITH_CUDA
  return true;
#else
  return false;
#endif
}

}  // namespace

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
  m.doc() = "Compiled ops of mmcv (C++ CPU kernels, plus CUDA kernels when built WITH_CUDA).";
  m.def("with_cuda", &with_cuda, "True when the CUDA kernels were compiled into this build.");
  m.def("sigmoid_focal_loss_forward", &sigmoid_focal_loss_forward,
        "Unreduced sigmoid focal loss [N, C].", py::arg("input"), py::arg("target"), py::arg("weight"),
        py::arg("gamma"), py::arg("alpha"));
  m.def("sigmoid_focal_loss_backward", &sigmoid_focal_loss_backward,
        "Element-wise d loss / d input [N, C].", py::arg("input"), py::arg("target"), py::arg("weight"),
        py::arg("gamma"), py::arg("alpha"));
  m.def("softmax_focal_loss_forward", &softmax_focal_loss_forward,
        "Unreduced softmax focal loss [N] and the log-softmax [N, C].", py::arg("input"), py::arg("target"),
        py::arg("weight"), py::arg("gamma"), py::arg("alpha"));
  m.def("softmax_focal_loss_backward", &softmax_focal_loss_backward,
        "d loss[n] / d input[n, c] from the saved log-softmax.", py::arg("log_prob"), py::arg("target"),
        py::arg("weight"), py::arg("gamma"), py::arg("alpha"));
}
