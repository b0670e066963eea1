// Per-element focal-loss arithmetic shared by the CPU (focal_loss.cpp) and CUDA (focal_loss_cuda.cu) kernels.
// Everything is written in log space so that large logits neither overflow nor produce log(0):
// log p and log(1 - p) come from one exp(-|x|), and 1 - p_t of the softmax comes from expm1.
#pragma once

#include <c10/macros/Macros.h>

#include <cmath>
#include <cstdint>

namespace mmcv_ops {

// p = sigmoid(x), q = 1 - p and their logarithms, without cancellation for any finite x.
template <typename T>
struct SigmoidTerms {
  T p, q, log_p, log_q;
};

template <typename T>
C10_HOST_DEVICE inline SigmoidTerms<T> sigmoid_terms(T x) {
  const T e = std::exp(-std::fabs(x));  // in (0, 1]: cannot overflow
  const T softplus_neg_abs = std::log1p(e);
  const T inv = T(1) / (T(1) + e);
  const bool nonneg = x >= T(0);
  SigmoidTerms<T> s;
  s.p = nonneg ? inv : e * inv;
  s.q = nonneg ? e * inv : inv;
  s.log_p = (nonneg ? T(0) : x) - softplus_neg_abs;
  s.log_q = (nonneg ? -x : T(0)) - softplus_neg_abs;
  return s;
}

// Sigmoid focal loss of one logit; `positive` is (target == this class).
//   positive: -alpha * (1 - p)^gamma * log(p);  negative: -(1 - alpha) * p^gamma * log(1 - p)
template <typename T>
C10_HOST_DEVICE inline T sigmoid_focal_value(T x, bool positive, T gamma, T alpha) {
  const SigmoidTerms<T> s = sigmoid_terms(x);
  return positive ? -alpha * std::pow(s.q, gamma) * s.log_p
                  : -(T(1) - alpha) * std::pow(s.p, gamma) * s.log_q;
}

// d(sigmoid_focal_value)/dx.
template <typename T>
C10_HOST_DEVICE inline T sigmoid_focal_grad(T x, bool positive, T gamma, T alpha) {
  const SigmoidTerms<T> s = sigmoid_terms(x);
  return positive ? -alpha * std::pow(s.q, gamma) * (s.q - gamma * s.p * s.log_p)
                  : -(T(1) - alpha) * std::pow(s.p, gamma) * (gamma * s.q * s.log_q - s.p);
}

// Softmax focal loss of one row from log p_t (the log-softmax at the target class):
//   -alpha * (1 - p_t)^gamma * log(p_t)
template <typename T>
C10_HOST_DEVICE inline T softmax_focal_value(T log_pt, T gamma, T alpha) {
  const T q = -std::expm1(log_pt);  // 1 - p_t
  return -alpha * std::pow(q, gamma) * log_pt;
}

// d(row loss)/d(log p_t); the gradient to logit c is this times (delta_ct - p_c).
// Written as q^gamma * (gamma * p * log(p) / q - 1) so that p -> 1 (q -> 0) stays finite for any gamma >= 0.
template <typename T>
C10_HOST_DEVICE inline T softmax_focal_coef(T log_pt, T gamma, T alpha) {
  const T p = std::exp(log_pt);
  const T q = -std::expm1(log_pt);
  const T log_p_over_q = q > T(0) ? log_pt / q : T(-1);  // limit of log(p) / (1 - p) as p -> 1
  return alpha * std::pow(q, gamma) * (gamma * p * log_p_over_q - T(1));
}

// 1 - p_c for c == t (computed without cancellation), -p_c otherwise.
template <typename T>
C10_HOST_DEVICE inline T softmax_delta_minus_p(T log_pc, bool is_target) {
  return is_target ? -std::expm1(log_pc) : -std::exp(log_pc);
}

// The row factor weight[t]; rows whose target lies outside [0, num_classes) are unweighted.
template <typename T, typename W>
C10_HOST_DEVICE inline T class_weight(const W* weight, int64_t t, int64_t num_classes) {
  return (weight != nullptr && t >= 0 && t < num_classes) ? static_cast<T>(weight[t]) : T(1);
}

C10_HOST_DEVICE inline bool is_valid_class(int64_t t, int64_t num_classes) {
  return t >= 0 && t < num_classes;
}

}  // namespace mmcv_ops
