// Focal-loss ops of mmcv._ext: the device-dispatching entry points (defined in focal_loss.cpp, bound in
// pybind.cpp) and the CUDA launchers they call (defined in focal_loss_cuda.cu, only when built WITH_CUDA).
//
// Shapes: input [N, C] logits, target [N] int64 class indices, weight [C] or empty (no weight).
// A target outside [0, C) marks a background / ignored row: the sigmoid loss treats it as all-negative
// (unweighted), the softmax loss gives it zero loss and zero gradient.
#pragma once

#include <ATen/ATen.h>

#include <tuple>

// Data pointer of an optional tensor (empty = absent), for kernels that take nullptr as "no weight".
template <typename T>
inline const T* optional_data_ptr(const at::Tensor& t) {
  return t.numel() > 0 ? t.data_ptr<T>() : nullptr;
}

// Unreduced sigmoid focal loss, [N, C].
at::Tensor sigmoid_focal_loss_forward(const at::Tensor& input, const at::Tensor& target,
                                      const at::Tensor& weight, double gamma, double alpha);

// Element-wise derivative d loss[n, c] / d input[n, c], [N, C] (the caller multiplies by grad_output).
at::Tensor sigmoid_focal_loss_backward(const at::Tensor& input, const at::Tensor& target,
                                       const at::Tensor& weight, double gamma, double alpha);

// Unreduced softmax focal loss [N] and the log-softmax [N, C] that the backward pass reuses.
std::tuple<at::Tensor, at::Tensor> softmax_focal_loss_forward(const at::Tensor& input,
                                                              const at::Tensor& target,
                                                              const at::Tensor& weight, double gamma,
                                                              double alpha);

// d loss[n] / d input[n, c], [N, C], from the log-softmax saved by the forward pass.
at::Tensor softmax_focal_loss_backward(const at::Tensor& log_prob, const at::Tensor& target,
                                       const at::Tensor& weight, double gamma, double alpha);

#ifdef WITH_CUDA
// Writes the sigmoid focal loss (compute_grad = false) or its derivative (true) into `out`, [N, C].
void sigmoid_focal_loss_cuda(const at::Tensor& input, const at::Tensor& target, const at::Tensor& weight,
                             at::Tensor& out, double gamma, double alpha, bool compute_grad);
void softmax_focal_loss_forward_cuda(const at::Tensor& log_prob, const at::Tensor& target,
                                     const at::Tensor& weight, at::Tensor& loss, double gamma,
                                     double alpha);
void softmax_focal_loss_backward_cuda(const at::Tensor& log_prob, const at::Tensor& target,
                                      const at::Tensor& weight, at::Tensor& grad_input, double gamma,
                                      double alpha);
#endif
