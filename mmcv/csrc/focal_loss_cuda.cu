// CUDA kernels of the focal-loss ops: one grid-stride thread per element, arithmetic in the op-math type
// (float for half / bfloat16 inputs), the per-element formulas shared with the CPU path (focal_loss_math.h).
#include <ATen/Dispatch.h>
#include <ATen/OpMathType.h>
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>

#include <algorithm>

#include "focal_loss.h"
#include "focal_loss_math.h"

namespace {

constexpr int kThreads = 256;

// Enough blocks to fill the current device a few times over; the grid-stride loops cover the rest.
// (Only c10/cuda and the CUDA runtime are used, so a toolkit without cuBLAS/cuSPARSE headers builds this.)
unsigned int num_blocks(int64_t numel) {
  int num_sms = 0;
  C10_CUDA_CHECK(cudaDeviceGetAttribute(&num_sms, cudaDevAttrMultiProcessorCount, c10::cuda::current_device()));
  const int64_t wanted = (numel + kThreads - 1) / kThreads;
  const int64_t cap = static_cast<int64_t>(num_sms) * 32;
  return static_cast<unsigned int>(std::max<int64_t>(1, std::min(wanted, cap)));
}

template <typename scalar_t, bool kGrad>
__global__ void sigmoid_focal_kernel(const scalar_t* __restrict__ input, const int64_t* __restrict__ target,
                                     const scalar_t* __restrict__ weight, scalar_t* __restrict__ out,
                                     int64_t numel, int64_t num_classes, at::opmath_type<scalar_t> gamma,
                                     at::opmath_type<scalar_t> alpha) {
  using T = at::opmath_type<scalar_t>;
  const int64_t stride = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < numel; i += stride) {
    const int64_t t = target[i / num_classes];
    const bool positive = t == i % num_classes;
    const T x = static_cast<T>(input[i]);
    T v;
    if constexpr (kGrad) {
      v = mmcv_ops::sigmoid_focal_grad(x, positive, gamma, alpha);
    } else {
      v = mmcv_ops::sigmoid_focal_value(x, positive, gamma, alpha);
    }
    out[i] = static_cast<scalar_t>(v * mmcv_ops::class_weight<T>(weight, t, num_classes));
  }
}

template <typename scalar_t>
__global__ void softmax_focal_forward_kernel(const scalar_t* __restrict__ log_prob,
                                             const int64_t* __restrict__ target,
                                             const scalar_t* __restrict__ weight, scalar_t* __restrict__ loss,
                                             int64_t num_rows, int64_t num_classes,
                                             at::opmath_type<scalar_t> gamma, at::opmath_type<scalar_t> alpha) {
  using T = at::opmath_type<scalar_t>;
  const int64_t stride = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t n = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; n < num_rows; n += stride) {
    const int64_t t = target[n];
    T v = T(0);
    if (mmcv_ops::is_valid_class(t, num_classes)) {
      const T log_pt = static_cast<T>(log_prob[n * num_classes + t]);
      v = mmcv_ops::softmax_focal_value(log_pt, gamma, alpha) * mmcv_ops::class_weight<T>(weight, t, num_classes);
    }
    loss[n] = static_cast<scalar_t>(v);
  }
}

template <typename scalar_t>
__global__ void softmax_focal_backward_kernel(const scalar_t* __restrict__ log_prob,
                                              const int64_t* __restrict__ target,
                                              const scalar_t* __restrict__ weight,
                                              scalar_t* __restrict__ grad_input, int64_t numel,
                                              int64_t num_classes, at::opmath_type<scalar_t> gamma,
                                              at::opmath_type<scalar_t> alpha) {
  using T = at::opmath_type<scalar_t>;
  const int64_t stride = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < numel; i += stride) {
    const int64_t n = i / num_classes;
    const int64_t c = i % num_classes;
    const int64_t t = target[n];
    T v = T(0);
    if (mmcv_ops::is_valid_class(t, num_classes)) {
      const T coef = mmcv_ops::softmax_focal_coef(static_cast<T>(log_prob[n * num_classes + t]), gamma, alpha);
      v = coef * mmcv_ops::class_weight<T>(weight, t, num_classes) *
          mmcv_ops::softmax_delta_minus_p(static_cast<T>(log_prob[i]), c == t);
    }
    grad_input[i] = static_cast<scalar_t>(v);
  }
}

template <typename scalar_t, bool kGrad>
void launch_sigmoid_focal(const at::Tensor& input, const at::Tensor& target, const at::Tensor& weight,
                          at::Tensor& out, double gamma, double alpha) {
  using T = at::opmath_type<scalar_t>;
  const int64_t numel = input.numel();
  sigmoid_focal_kernel<scalar_t, kGrad><<<num_blocks(numel), kThreads, 0, c10::cuda::getCurrentCUDAStream()>>>(
      input.data_ptr<scalar_t>(), target.data_ptr<int64_t>(), optional_data_ptr<scalar_t>(weight),
      out.data_ptr<scalar_t>(), numel, input.size(1), static_cast<T>(gamma), static_cast<T>(alpha));
  C10_CUDA_KERNEL_LAUNCH_CHECK();
}

}  // namespace

void sigmoid_focal_loss_cuda(const at::Tensor& input, const at::Tensor& target, const at::Tensor& weight,
                             at::Tensor& out, double gamma, double alpha, bool compute_grad) {
  const c10::cuda::CUDAGuard guard(input.device());
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, input.scalar_type(), "sigmoid_focal_loss_cuda", [&] {
    if (compute_grad) {
      launch_sigmoid_focal<scalar_t, true>(input, target, weight, out, gamma, alpha);
    } else {
      launch_sigmoid_focal<scalar_t, false>(input, target, weight, out, gamma, alpha);
    }
  });
}

void softmax_focal_loss_forward_cuda(const at::Tensor& log_prob, const at::Tensor& target,
                                     const at::Tensor& weight, at::Tensor& loss, double gamma, double alpha) {
  const c10::cuda::CUDAGuard guard(log_prob.device());
  const int64_t num_rows = log_prob.size(0);
  const auto dtype = log_prob.scalar_type();
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, dtype, "softmax_focal_loss_forward_cuda", [&] {
    using T = at::opmath_type<scalar_t>;
    const cudaStream_t stream = c10::cuda::getCurrentCUDAStream();
    softmax_focal_forward_kernel<scalar_t><<<num_blocks(num_rows), kThreads, 0, stream>>>(
        log_prob.data_ptr<scalar_t>(), target.data_ptr<int64_t>(), optional_data_ptr<scalar_t>(weight),
        loss.data_ptr<scalar_t>(), num_rows, log_prob.size(1), static_cast<T>(gamma), static_cast<T>(alpha));
    C10_CUDA_KERNEL_LAUNCH_CHECK();
  });
}

void softmax_focal_loss_backward_cuda(const at::Tensor& log_prob, const at::Tensor& target,
                                      const at::Tensor& weight, at::Tensor& grad_input, double gamma,
                                      double alpha) {
  const c10::cuda::CUDAGuard guard(log_prob.device());
  const int64_t numel = log_prob.numel();
  const auto dtype = log_prob.scalar_type();
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, dtype, "softmax_focal_loss_backward_cuda", [&] {
    using T = at::opmath_type<scalar_t>;
    const cudaStream_t stream = c10::cuda::getCurrentCUDAStream();
    softmax_focal_backward_kernel<scalar_t><<<num_blocks(numel), kThreads, 0, stream>>>(
        log_prob.data_ptr<scalar_t>(), target.data_ptr<int64_t>(), optional_data_ptr<scalar_t>(weight),
        grad_input.data_ptr<scalar_t>(), numel, log_prob.size(1), static_cast<T>(gamma),
        static_cast<T>(alpha));
    C10_CUDA_KERNEL_LAUNCH_CHECK();
  });
}
