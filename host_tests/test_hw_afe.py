# The board's analog front end (firmware/hw/afe.py): the conversions the control step makes every 10 ms are
# written out for speed (issue 9); here they must equal the plain composition of adc_mv() and _div_round()
# for every count, on each board file. Plain asserts (runs on MicroPython).
from hw.afe import PP_OPEN, Afe, _div_round

import boards.esp32 as esp32
import boards.pico as pico


def _plain_cp(a, c):
    return _div_round((a.adc_mv(c) - a.cp_zero) * a.cp_num, a.cp_den)


def _plain_pp(a, c):
    v = a.adc_mv(c) * a.pp_num // a.pp_den
    if v >= a._pp_open_mv:
        return PP_OPEN
    if v <= 0:
        return 0
    return _div_round(a.pp_ohm_pu * v, a.pp_mv_pu - v)


def test_written_out_conversions_equal_the_plain_ones_for_every_count():
    for board in (pico, esp32):
        a = Afe(board)
        c = 0
        while c < 65536:
            assert a.cp_mv(c) == _plain_cp(a, c), (board.NAME, c)
            assert a.pp_ohm(c) == _plain_pp(a, c), (board.NAME, c)
            c += 1 if c < 1024 else 7  # every count at the bottom, then a prime stride over the rest
