// Focal-loss ops: input checks, device dispatch and the CPU kernels (float and double, parallel over
// elements or rows with at::parallel_for, i.e. OpenMP where ATen was built with it).
#include "focal_loss.h"

#include <ATen/Dispatch.h>
#include <ATen/OpMathType.h>
#include <ATen/Parallel.h>

#include <algorithm>

#include "focal_loss_math.h"

namespace {

constexpr int64_t kGrainSize = 4096;

void check_inputs(const char* op, const at::Tensor& input, const at::Tensor& target,
                  const at::Tensor& weight) {
  TORCH_CHECK(input.dim() == 2, op, ": input must be [N, C] logits, got shape ", input.sizes());
  TORCH_CHECK(target.dim() == 1 && target.size(0) == input.size(0), op,
              ": target must have shape [N] = [", input.size(0), "], got ", target.sizes());
  TORCH_CHECK(target.scalar_type() == at::kLong, op, ": target must be int64, got ",
              target.scalar_type());
  TORCH_CHECK(target.device() == input.device(), op, ": target is on ", target.device(),
              " but input is on ", input.device());
  if (weight.numel() == 0) return;
  TORCH_CHECK(weight.dim() == 1 && weight.size(0) == input.size(1), op,
              ": weight must be empty or have shape [C] = [", input.size(1), "], got ", weight.sizes());
  TORCH_CHECK(weight.scalar_type() == input.scalar_type() && weight.device() == input.device(), op,
              ": weight must match input's dtype and device (", input.scalar_type(), ", ", input.device(),
              "), got ", weight.scalar_type(), ", ", weight.device());
}

void check_cuda_built(const char* op, const at::Tensor& input) {
#ifndef WITH_CUDA
  TORCH_CHECK(!input.is_cuda(), op,
              ": mmcv._ext was built without CUDA; rebuild it with a CUDA toolkit (setup.py, FORCE_CUDA=1) "
              "or set MMCV_DISABLE_EXT=1 to use the PyTorch implementation");
#endif
  TORCH_CHECK(input.is_cuda() || input.device().is_cpu(), op, ": unsupported device ", input.device());
}

template <typename scalar_t, bool kGrad>
void sigmoid_focal_cpu(const at::Tensor& input, const at::Tensor& target, const at::Tensor& weight,
                       at::Tensor& out, double gamma, double alpha) {
  using T = at::opmath_type<scalar_t>;
  const scalar_t* x = input.data_ptr<scalar_t>();
  const int64_t* tgt = target.data_ptr<int64_t>();
  const scalar_t* w = optional_data_ptr<scalar_t>(weight);
  scalar_t* y = out.data_ptr<scalar_t>();
  const int64_t num_classes = input.size(1);
  const T g = static_cast<T>(gamma);
  const T a = static_cast<T>(alpha);
  at::parallel_for(0, input.numel(), kGrainSize, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const int64_t t = tgt[i / num_classes];
      const bool positive = t == i % num_classes;
      const T xi = static_cast<T>(x[i]);
      T v;
      if constexpr (kGrad) {
        v = mmcv_ops::sigmoid_focal_grad(xi, positive, g, a);
      } else {
        v = mmcv_ops::sigmoid_focal_value(xi, positive, g, a);
      }
      y[i] = static_cast<scalar_t>(v * mmcv_ops::class_weight<T>(w, t, num_classes));
    }
  });
}

at::Tensor sigmoid_focal_loss_impl(const char* op, const at::Tensor& input_, const at::Tensor& target_,
                                   const at::Tensor& weight_, double gamma, double alpha, bool grad) {
  check_inputs(op, input_, target_, weight_);
  check_cuda_built(op, input_);
  const at::Tensor input = input_.contiguous();
  const at::Tensor target = target_.contiguous();
  const at::Tensor weight = weight_.contiguous();
  at::Tensor out = at::empty_like(input);
  if (input.numel() == 0) return out;
#ifdef WITH_CUDA
  if (input.is_cuda()) {
    sigmoid_focal_loss_cuda(input, target, weight, out, gamma, alpha, grad);
    return out;
  }
#endif
  AT_DISPATCH_FLOATING_TYPES(input.scalar_type(), "sigmoid_focal_loss_cpu", [&] {
    if (grad) {
      sigmoid_focal_cpu<scalar_t, true>(input, target, weight, out, gamma, alpha);
    } else {
      sigmoid_focal_cpu<scalar_t, false>(input, target, weight, out, gamma, alpha);
    }
  });
  return out;
}

template <typename scalar_t>
void softmax_focal_forward_cpu(const at::Tensor& log_prob, const at::Tensor& target,
                               const at::Tensor& weight, at::Tensor& loss, double gamma, double alpha) {
  using T = at::opmath_type<scalar_t>;
  const scalar_t* lp = log_prob.data_ptr<scalar_t>();
  const int64_t* tgt = target.data_ptr<int64_t>();
  const scalar_t* w = optional_data_ptr<scalar_t>(weight);
  scalar_t* y = loss.data_ptr<scalar_t>();
  const int64_t num_classes = log_prob.size(1);
  const T g = static_cast<T>(gamma);
  const T a = static_cast<T>(alpha);
  at::parallel_for(0, log_prob.size(0), kGrainSize, [&](int64_t begin, int64_t end) {
    for (int64_t n = begin; n < end; ++n) {
      const int64_t t = tgt[n];
      if (!mmcv_ops::is_valid_class(t, num_classes)) {
        y[n] = scalar_t(0);
        continue;
      }
      const T log_pt = static_cast<T>(lp[n * num_classes + t]);
      y[n] = static_cast<scalar_t>(mmcv_ops::softmax_focal_value(log_pt, g, a) *
                                   mmcv_ops::class_weight<T>(w, t, num_classes));
    }
  });
}

template <typename scalar_t>
void softmax_focal_backward_cpu(const at::Tensor& log_prob, const at::Tensor& target,
                                const at::Tensor& weight, at::Tensor& grad_input, double gamma,
                                double alpha) {
  using T = at::opmath_type<scalar_t>;
  const scalar_t* lp = log_prob.data_ptr<scalar_t>();
  const int64_t* tgt = target.data_ptr<int64_t>();
  const scalar_t* w = optional_data_ptr<scalar_t>(weight);
  scalar_t* dx = grad_input.data_ptr<scalar_t>();
  const int64_t num_classes = log_prob.size(1);
  const T g = static_cast<T>(gamma);
  const T a = static_cast<T>(alpha);
  const int64_t row_grain = std::max<int64_t>(1, kGrainSize / std::max<int64_t>(1, num_classes));
  at::parallel_for(0, log_prob.size(0), row_grain, [&](int64_t begin, int64_t end) {
    for (int64_t n = begin; n < end; ++n) {
      const int64_t t = tgt[n];
      const scalar_t* row = lp + n * num_classes;
      scalar_t* drow = dx + n * num_classes;
      if (!mmcv_ops::is_valid_class(t, num_classes)) {
        std::fill(drow, drow + num_classes, scalar_t(0));
        continue;
      }
      const T coef = mmcv_ops::softmax_focal_coef(static_cast<T>(row[t]), g, a) *
                     mmcv_ops::class_weight<T>(w, t, num_classes);
      for (int64_t c = 0; c < num_classes; ++c) {
        drow[c] = static_cast<scalar_t>(
            coef * mmcv_ops::softmax_delta_minus_p(static_cast<T>(row[c]), c == t));
      }
    }
  });
}

}  // namespace

at::Tensor sigmoid_focal_loss_forward(const at::Tensor& input, const at::Tensor& target,
                                      const at::Tensor& weight, double gamma, double alpha) {
  return sigmoid_focal_loss_impl("sigmoid_focal_loss_forward", input, target, weight, gamma, alpha,
                                 /*grad=*/false);
}

at::Tensor sigmoid_focal_loss_backward(const at::Tensor& input, const at::Tensor& target,
                                       const at::Tensor& weight, double gamma, double alpha) {
  return sigmoid_focal_loss_impl("sigmoid_focal_loss_backward", input, target, weight, gamma, alpha,
                                 /*grad=*/true);
}

std::tuple<at::Tensor, at::Tensor> softmax_focal_loss_forward(const at::Tensor& input,
                                                              const at::Tensor& target_,
                                                              const at::Tensor& weight_, double gamma,
                                                              double alpha) {
  const char* op = "softmax_focal_loss_forward";
  check_inputs(op, input, target_, weight_);
  check_cuda_built(op, input);
  const at::Tensor log_prob = at::log_softmax(input, 1).contiguous();
  const at::Tensor target = target_.contiguous();
  const at::Tensor weight = weight_.contiguous();
  at::Tensor loss = at::empty({input.size(0)}, input.options());
  if (input.numel() == 0) return {loss.zero_(), log_prob};
#ifdef WITH_CUDA
  if (input.is_cuda()) {
    softmax_focal_loss_forward_cuda(log_prob, target, weight, loss, gamma, alpha);
    return {loss, log_prob};
  }
#endif
  AT_DISPATCH_FLOATING_TYPES(input.scalar_type(), "softmax_focal_loss_forward_cpu", [&] {
    softmax_focal_forward_cpu<scalar_t>(log_prob, target, weight, loss, gamma, alpha);
  });
  return {loss, log_prob};
}

at::Tensor softmax_focal_loss_backward(const at::Tensor& log_prob_, const at::Tensor& target_,
                                       const at::Tensor& weight_, double gamma, double alpha) {
  const char* op = "softmax_focal_loss_backward";
  check_inputs(op, log_prob_, target_, weight_);
  check_cuda_built(op, log_prob_);
  const at::Tensor log_prob = log_prob_.contiguous();
  const at::Tensor target = target_.contiguous();
  const at::Tensor weight = weight_.contiguous();
  at::Tensor grad_input = at::empty_like(log_prob);
  if (log_prob.numel() == 0) return grad_input;
#ifdef WITH_CUDA
  if (log_prob.is_cuda()) {
    softmax_focal_loss_backward_cuda(log_prob, target, weight, grad_input, gamma, alpha);
    return grad_input;
  }
#endif
  AT_DISPATCH_FLOATING_TYPES(log_prob.scalar_type(), "softmax_focal_loss_backward_cpu", [&] {
    softmax_focal_backward_cpu<scalar_t>(log_prob, target, weight, grad_input, gamma, alpha);
  });
  return grad_input;
}
