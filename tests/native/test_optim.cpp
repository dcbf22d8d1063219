// adj_sgd_update / adj_adam_update: hand-computed steps (PyTorch's rules), agreement with a double-precision
// loop on lengths around the threading grain, validation errors.
#include <cmath>
#include <vector>

#include "test_util.h"

namespace {

TEST(Optim, SgdMomentumWeightDecayTwoSteps) {
  // p0 = 1, λ = 0.1, μ = 0.9, η = 0.1: p = 0.94 after g = 0.5, then 0.8566 after g = 0.2 (buffer 0.834).
  double p = 1, g = 0.5, buf = 0;
  ASSERT_EQ(adj_sgd_update(ADJ_F64, 1, &p, &g, &buf, 0.1, 0.1, 0.9, 0, 0, 1), ADJ_OK);
  EXPECT_NEAR(p, 0.94, 1e-15);
  g = 0.2;
  ASSERT_EQ(adj_sgd_update(ADJ_F64, 1, &p, &g, &buf, 0.1, 0.1, 0.9, 0, 0, 0), ADJ_OK);
  EXPECT_NEAR(p, 0.8566, 1e-15);
  EXPECT_NEAR(buf, 0.834, 1e-15);
}

TEST(Optim, SgdNesterovAndPlain) {
  double p = 1, g = 1, buf = 0;
  ASSERT_EQ(adj_sgd_update(ADJ_F64, 1, &p, &g, &buf, 0.1, 0, 0.9, 0, 1, 1), ADJ_OK);
  EXPECT_NEAR(p, 0.81, 1e-15);
  ASSERT_EQ(adj_sgd_update(ADJ_F64, 1, &p, &g, &buf, 0.1, 0, 0.9, 0, 1, 0), ADJ_OK);
  EXPECT_NEAR(p, 0.539, 1e-15);
  float pf[2] = {1, -2}, gf[2] = {0.5f, -1};
  ASSERT_EQ(adj_sgd_update(ADJ_F32, 2, pf, gf, nullptr, 0.1, 0, 0, 0, 0, 0), ADJ_OK);
  EXPECT_FLOAT_EQ(pf[0], 0.95f);
  EXPECT_FLOAT_EQ(pf[1], -1.9f);
}

TEST(Optim, AdamFirstTwoStepsWithBiasCorrection) {
  double p = 1, g = 0.5, m = 0, v = 0;
  ASSERT_EQ(adj_adam_update(ADJ_F64, 1, &p, &g, &m, &v, 0.1, 0.9, 0.999, 1e-8, 0, 0, 1), ADJ_OK);
  EXPECT_NEAR(p, 0.900000002, 1e-15);
  g = -1;
  ASSERT_EQ(adj_adam_update(ADJ_F64, 1, &p, &g, &m, &v, 0.1, 0.9, 0.999, 1e-8, 0, 0, 2), ADJ_OK);
  EXPECT_NEAR(p, 0.9366103542405654, 1e-14);
  EXPECT_NEAR(m, -0.055, 1e-16);
  EXPECT_NEAR(v, 0.00124975, 1e-17);
  // AdamW: p ← p·(1 − ηλ) first.
  p = 1, g = 0.5, m = 0, v = 0;
  ASSERT_EQ(adj_adam_update(ADJ_F64, 1, &p, &g, &m, &v, 0.1, 0.9, 0.999, 1e-8, 0.1, 1, 1), ADJ_OK);
  EXPECT_NEAR(p, 0.890000002, 1e-15);
}

TEST(Optim, LongFloatRunsAgreeWithDoubleLoop) {
  for (int64_t n : {0, 1, 15, 16, 17, 65537, 200003}) {
    std::vector<float> p(n), g(n), m(n), v(n), buf(n);
    std::vector<double> pd(n), md(n), vd(n), bd(n);
    for (int64_t i = 0; i < n; ++i) {
      p[i] = pd[i] = std::sin(0.37 * i);
      g[i] = static_cast<float>(std::cos(0.11 * i));
    }
    ASSERT_EQ(adj_adam_update(ADJ_F32, n, p.data(), g.data(), m.data(), v.data(), 0.01, 0.9, 0.999, 1e-8, 0.01, 0, 1), ADJ_OK);
    ASSERT_EQ(adj_sgd_update(ADJ_F32, n, p.data(), g.data(), buf.data(), 0.05, 0.01, 0.9, 0, 1, 1), ADJ_OK);
    for (int64_t i = 0; i < n; ++i) {
      double gi = g[i] + 0.01 * pd[i];
      md[i] = 0.1 * gi;
      vd[i] = 0.001 * gi * gi;
      pd[i] -= (0.01 / 0.1) * md[i] / (std::sqrt(vd[i]) / std::sqrt(0.001) + 1e-8);
      double gs = g[i] + 0.01 * pd[i];
      bd[i] = gs;
      pd[i] -= 0.05 * (gs + 0.9 * bd[i]);
      ASSERT_NEAR(p[i], pd[i], 1e-5) << "n=" << n << " i=" << i;
    }
  }
}

TEST(Optim, ValidationErrors) {
  double p[4] = {}, g[4] = {}, m[4] = {}, v[4] = {};
  EXPECT_EQ(adj_sgd_update(ADJ_F64, -1, p, g, nullptr, 0.1, 0, 0, 0, 0, 0), ADJ_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(adj_sgd_update(ADJ_F64, 4, p, nullptr, nullptr, 0.1, 0, 0, 0, 0, 0), ADJ_ERR_NULL_POINTER);
  EXPECT_EQ(adj_sgd_update(ADJ_F64, 4, p, g, nullptr, 0.1, 0, 0.9, 0, 0, 0), ADJ_ERR_NULL_POINTER);
  EXPECT_EQ(adj_sgd_update(ADJ_F64, 4, p, p + 1, nullptr, 0.1, 0, 0, 0, 0, 0), ADJ_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(adj_sgd_update(static_cast<adj_dtype>(5), 4, p, g, nullptr, 0.1, 0, 0, 0, 0, 0), ADJ_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(adj_adam_update(ADJ_F64, 4, p, g, m, v, 0.1, 1.0, 0.999, 1e-8, 0, 0, 1), ADJ_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(adj_adam_update(ADJ_F64, 4, p, g, m, v, 0.1, 0.9, 0.999, 1e-8, 0, 0, 0), ADJ_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(adj_adam_update(ADJ_F64, 4, p, g, m, m, 0.1, 0.9, 0.999, 1e-8, 0, 0, 1), ADJ_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(adj_last_error()).find("adj_adam_update"), std::string::npos);
  EXPECT_EQ(adj_adam_update(ADJ_F64, 0, nullptr, nullptr, nullptr, nullptr, 0.1, 0.9, 0.999, 1e-8, 0, 0, 1), ADJ_OK);
}

}  // namespace
