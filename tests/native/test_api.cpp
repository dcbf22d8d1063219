#include <gtest/gtest.h>
#include "adjoint/adjoint.h"
TEST(Api, Noop) { EXPECT_EQ(adj_noop(), ADJ_OK); }
