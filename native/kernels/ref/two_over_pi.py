#!/usr/bin/env python3
"""Bits of 2/pi for the Payne-Hanek reduction in sincos.h, from integer arithmetic only.

pi comes from Machin's formula pi = 16 atan(1/5) - 4 atan(1/239) evaluated in fixed point with guard bits;
2/pi is then an integer division. The result is cross-checked against a second, independent formula
(Gauss: pi = 48 atan(1/18) + 32 atan(1/57) - 20 atan(1/239)) and, when mpmath is installed, against mpmath.

  python3 two_over_pi.py           print the C++ table (paste into sincos.h)
  python3 two_over_pi.py --check F verify the table in header F; exit status 1 on any difference
"""
import re
import sys

WORDS = 40           # 32-bit words: 1280 bits, enough for every double exponent plus 8 words of precision
BITS = 32 * WORDS
GUARD = 64


def atan_inv(n, one):
    """atan(1/n) * one, by the alternating series, in integers (error a few units of the last place)."""
    total = term = one // n
    n2 = n * n
    k = 1
    while term:
        term //= n2
        total += -(term // (2 * k + 1)) if k % 2 else term // (2 * k + 1)
        k += 1
    return total


def pi_fixed(prec, formula):
    one = 1 << (prec + GUARD)
    if formula == "machin":
        p = 16 * atan_inv(5, one) - 4 * atan_inv(239, one)
    else:
        p = 48 * atan_inv(18, one) + 32 * atan_inv(57, one) - 20 * atan_inv(239, one)
    return p  # pi * 2^(prec+GUARD), error far below 2^GUARD


def two_over_pi_bits(formula):
    """floor(2/pi * 2^BITS) as an integer (2/pi < 1, so it has at most BITS bits)."""
    prec = BITS + 16
    p = pi_fixed(prec, formula)
    # 2/pi * 2^BITS = 2 * 2^BITS * 2^(prec+GUARD) / p
    return (2 << (BITS + prec + GUARD)) // p


def words(v):
    return [(v >> (BITS - 32 * (i + 1))) & 0xFFFFFFFF for i in range(WORDS)]


def main():
    a = two_over_pi_bits("machin")
    b = two_over_pi_bits("gauss")
    # The two floors may differ only if the true value is within the guard error of an integer.
    assert abs(a - b) <= 1 and words(a)[:-1] == words(b)[:-1], "Machin and Gauss disagree"
    try:
        import mpmath
        mpmath.mp.prec = BITS + 64
        m = int(mpmath.floor(2 / mpmath.pi * mpmath.mpf(2) ** BITS))
        assert m == a, "mpmath disagrees"
        checked = "Machin, Gauss and mpmath agree"
    except ImportError:
        checked = "Machin and Gauss agree (mpmath not installed)"
    w = words(a)
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        text = open(sys.argv[2]).read()
        body = re.search(r"kTwoOverPiBits\[\w*\]\s*=\s*\{([^}]*)\}", text)
        got = [int(t, 16) for t in re.findall(r"0x[0-9a-fA-F]+", body.group(1))] if body else []
        if got != w:
            print(f"two_over_pi.py: table in {sys.argv[2]} differs from 2/pi ({checked})")
            return 1
        print(f"two_over_pi.py: {len(w)} words of 2/pi in {sys.argv[2]} verified ({checked})")
        return 0
    print(f"// {BITS} bits of 2/pi, most significant first; bit i (1-based) has weight 2^-i. {checked}.")
    for i in range(0, WORDS, 6):
        print("    " + ", ".join(f"0x{x:08X}" for x in w[i:i + 6]) + ",")
    return 0


if __name__ == "__main__":
    sys.exit(main())
