# The charging session: pilot, proximity and safety supervision in, pilot/contactor/lock commands out.
# Pure logic: the board (or the host bench) fills io, calls tick(now_ms) every TICK_MS, applies io.
from .compat import const
from . import faults as F
from .iodata import (
    ST_A, ST_B1, ST_E, ST_F,
    PILOT_P12, PILOT_PWM, PILOT_N12, NO_SAMPLE, TEMP_NONE, SOCKET_TYPE2, Config,
)
from .pilot import (
    PilotFilter, since, low_plateau_ok, KEEP_MIN, KEEP_MAX, LOW_OK_MIN_MV, LOW_OK_MAX_MV, PS_A, PS_B, PS_C, PS_D, PS_E, PS_F, DEBOUNCE_MS,
)
from .duty import duty_for_ma, MIN_MA, CHANGE_INTERVAL_MS
from .proximity import type2_cable_ma, j1772_latch, pp_window, LATCH_PRESSED, LATCH_INVALID
from .rcd import Rcd, FAILED as RCD_FAILED, PASSED as RCD_PASSED, RECLOSE_DELAY_MS
from .contactor import RelaySupervisor, WELDED, FAILED_TO_CLOSE

TICK_MS = const(10)  # control period on the boards and on the bench
CAL_GAIN_ONE = const(10000)  # cal_cp_gain's unit, 1/10000 (calibration.GAIN_ONE; a test keeps them equal)

# IEC 61851-1 Table A.6 (docs/standards.md "Timing"), each enforced below:
CLOSE_WITHIN_MS = const(3000)  # seq 4 (B2->C2): close within 3 s; the self-test fits well inside
OPEN_WITHIN_MS = const(100)  # seq 7-9 (C->B/A/E/F): open within 100 ms; we open on the tick the
#                              filtered reading changes, i.e. within DEBOUNCE_MS + TICK_MS = 20 ms
F_HOLD_MS = const(300)  # a fault with an EV connected: -12 V (F) for >= 300 ms, then +12 V (x1)
WITHDRAW_OPEN_MS = const(6000)  # PWM withdrawn but the EV stays in C: open under load at 6 s
DIODE_FAIL_MS = const(20)  # low plateau missing -12 V this long while pulsing: diode fault
# Over-current (docs/standards.md "Metering"): an EV measured above the offer + 10 % + 0.5 A is tolerated this
# long, then stopped. The standards' figure is ">= 5 s" (anchors use 6-7 s); the meter is polled every second,
# so the stop comes 5..6 s after the EV went over. After a reduction of the offer the EV has these 5 s to follow.
OVER_CURRENT_MS = const(5000)
# Ours (tag I), named so they can be reviewed:
CLEAR_HOLD_MS = const(2000)  # a condition fault clears once its cause has been gone this long
LOCK_CONFIRM_MS = const(1000)  # Type 2 socket lock must confirm within this (actuators: 0.2-0.6 s)
# What a board's temperature sensor can physically read (tag I): an enclosure on a charger is rated for
# about -30..+50 C ambient and common sensors (NTC, TMP36, DS18B20) for -40..+125 C. A reading outside
# this range is a broken or missing sensor (an open NTC reads very cold), never a real cool-down.
TEMP_MIN_DC = const(-400)
TEMP_MAX_DC = const(1500)

_B = const(1)  # one fault bit, shifted below
# (Masks built from faults.py names: plain globals, since const() cannot see another module.)
# Faults read from the pilot: while the EVSE drives -12 V they cannot be observed, so they hold.
_PILOT_DERIVED = (_B << F.DIODE) | (_B << F.CP_SHORT) | (_B << F.PILOT_FAULT) | (_B << F.VENT_REQUIRED)
# Faults whose cause can go away: cleared CLEAR_HOLD_MS after it has.
_CONDITION = (
    (_B << F.CP_SHORT) | (_B << F.PILOT_FAULT) | (_B << F.VENT_REQUIRED) | (_B << F.NO_GROUND)
    | (_B << F.PP_INVALID) | (_B << F.OVER_TEMPERATURE) | (_B << F.TEMP_SENSOR)
)
_OVER_TEMP = _B << F.OVER_TEMPERATURE
# Faults that belong to the vehicle plugged in now: cleared when it is unplugged (state A).
_SESSION = (_B << F.DIODE) | (_B << F.LOCK_FAILED) | (_B << F.EV_NOT_RESPONDING)
_GFCI_TRIP = _B << F.GFCI_TRIP
# Faults that are reported but do not stop charging unless a setting says so (Config.meter_stop): a meter that
# stops answering says nothing about the vehicle or the installation (the issue on metering; docs/metering.md).
_ADVISORY = _B << F.METER_LOST
_CONDITION |= _ADVISORY  # it clears CLEAR_HOLD_MS after the meter answers again
_SESSION |= _B << F.OVER_CURRENT  # an over-current stop holds until the vehicle is unplugged
_ANY = const(0x3FFFFFFF)  # a window bound no reading reaches (a small int on 32-bit ports)
# Counters wrap here: x + 1 stays a small int on 32-bit ports (below 2**30) before it is masked, so counting
# never allocates, even after months (0x3FFFFFFF + 1 would be a big int, and an allocation in an interrupt).
_COUNT_WRAP = const(0x1FFFFFFF)


class Charger:
    """One EVSE connector. Call tick(now_ms) with io inputs filled; then apply io outputs."""

    def __init__(self, config, io):
        self.config = config
        self.io = io
        # The installation settings in force (socket, cable, PP sense, ventilation, temperatures, load-side
        # sense): taken from config only while no session is live (installation_locked() false), so a
        # change made during a session can never unlock a socket or lift a cable limit under load. The
        # command layer refuses such changes up front; this is the core's own line of defence.
        self.inst = Config()
        self._take_installation()
        self.pf = PilotFilter()
        self.rcd = Rcd()
        self.rsup = RelaySupervisor()
        self.state = ST_F  # until the first tick
        self.ev = PS_A  # filtered pilot reading
        self.faults = 0  # active faults, bit mask (faults.py)
        self.latched = 0  # the active ones that only a service reset clears
        self.enabled = True
        self.sleeping = False
        self.limited = False  # a session limit was reached (stop_limit()): +12 V until unplug or enable()
        self.offered_ma = 0  # current advertised by the PWM now
        self.avail_ma = 0  # what could be offered now (limits, cable, temperature)
        self.cable_ma = 0  # cable/socket limit sensed now, 0 if none
        self.latch_pressed = False  # J1772 release button held (tethered cable with PP sense)
        self.derating = False  # over the derate temperature: half current
        self.temp_seen = False  # a plausible temperature has been read since boot: the sensor is fitted
        self._pp_drop = False  # the cable coding fell below the current offered while energised
        self.diode_seen = False  # -12 V low plateau seen since PWM started
        self.closes = 0  # contactor closes since boot, each after a passed self-test
        self._gone = [0] * F.COUNT  # first tick each condition fault's cause was found absent
        self._cause = 0  # the causes present at the last tick, bit mask
        self._rcd_irq = False  # set by rcd_irq() between ticks
        self._irq_taken = False  # the last tick took one
        self._low_bad = False
        self._low_bad_t = 0
        self._fhold = False
        self._fhold_t = 0
        self._duty_t = 0
        self._withdraw = False
        self._withdraw_t = 0
        self._lock_t = 0
        self._oc = False  # the EV is drawing above the over-current line, since _oc_t
        self._oc_t = 0
        self._adv = _ADVISORY  # the reported-only faults at the last tick (meter_lost_stop off)
        self._busy = True  # the last tick changed an output, a fault or the state (idle_until())
        self._closed = False  # the contactor command at the end of the last tick
        self._held = 0
        self._now = 0  # time of the last tick (for commands between ticks)
        # The quiet tick (tick(), first lines): after a tick that left nothing pending, the next ticks whose
        # inputs classify the same change nothing, and return after comparing them. _q: 0 not quiet, 1 quiet
        # with no end, 2 quiet for _q_len ms from _q_from (a reclosure due). _poke: a command came since.
        self.fast = True  # False: every tick runs in full (the equivalence tests compare the two)
        self._q = 0
        self._q_from = 0
        self._q_len = 0
        self._poke = False
        self._s_hi_min = 0  # calibrated high-plateau mV that keep the filtered pilot reading: [min, max)
        self._s_hi_max = 0
        self._s_lo_min = 0  # calibrated low-plateau mV that keep the diode check as it is: [min, max]
        self._s_lo_max = 0
        self._s_pp_min = 0  # proximity ohms that keep the cable coding or latch reading: [min, max]
        self._s_pp_max = 0
        self._s_ma_min = 0  # metered mA that keep the over-current supervision as it is: [min, max]
        self._s_ma_max = 0
        self._s_cal = False  # the pilot calibration is not the identity
        self._s_t = 0  # the temperature reading of the last full tick, and its class (_temp_class)
        self._s_temp = 0
        self._s_in = 0  # the binary inputs and the commands in force, packed (_inputs)
        self._s_lim = 0  # max_current_ma, board_max_ma, runtime_ma as the last full tick saw them
        self._s_board = 0
        self._s_rt = 0
        self._s_faults = 0
        self._s_latched = 0
        self.quiet = False  # the last tick returned early: it changed nothing (the board skips its outputs)
        self.quiet_ticks = 0  # ticks that returned early (wraps at 2**29)

    # -- commands (console, buttons) ------------------------------------------------------------

    def enable(self):
        self.enabled = True
        self.sleeping = False
        self.limited = False
        self._poke = True

    def disable(self):
        """Not available: pilot -12 V (state F), contactor opens at the next tick."""
        self.enabled = False
        self._poke = True

    def sleep(self):
        """Stop offering: pilot +12 V; the contactor opens when the EV leaves C (at most 6 s)."""
        self.sleeping = True
        self._poke = True

    def stop_limit(self):
        """A session limit (energy, time) is reached: stop offering as with sleep(); the EV has 6 s to leave C.
        Cleared by unplugging or enable(). Called by evse.history after a tick. No allocation."""
        self.limited = True
        self._poke = True

    def request_selftest(self):
        """Run the residual-current self-test now if the contactor is open and no test is running."""
        if self.io.relay or self.rcd.testing() or self.latched:
            return False
        self.rcd.start_selftest(self._now)
        self._poke = True  # (after the change: a tick that comes between sees the poke next time)
        return True

    def reset_faults(self):
        """Service reset: clear latched faults (welded contactor, failed self-test, repeated trips)."""
        self.faults &= ~self.latched
        self.latched = 0
        waiting = self.faults & _GFCI_TRIP  # a trip not latched: it keeps its 15-minute reclosure wait
        self.rcd.reset()
        if waiting:
            self.rcd.tripped = True  # (trip_t is kept) UL 2231-2: reclose 15 min after the trip
        self._poke = True

    def apply_config(self):
        """Settings changed: current limits apply from the next tick (a reduction at once, an increase
        with the 5 s rule); installation settings once no session is live (installation_locked())."""
        if not self.installation_locked():
            self._take_installation()
        self._poke = True

    def installation_locked(self):
        """True while a vehicle may be connected or the load side may be energised: the filtered pilot is
        not A (E, F and an unreadable pilot count as connected), the contactor is closed, or its load side
        is live. Installation settings cannot change then (docs/protocol.md "Settings during a session")."""
        io = self.io
        return self.ev != PS_A or io.relay or (self.inst.relay_sense and io.relay_v == 1)

    def _take_installation(self):
        c = self.config
        i = self.inst
        i.socket = c.socket
        i.pp_sense = c.pp_sense
        i.cable_ma = c.cable_ma
        i.ventilation = c.ventilation
        i.relay_sense = c.relay_sense
        i.temp_derate_dc = c.temp_derate_dc
        i.temp_restore_dc = c.temp_restore_dc
        i.temp_stop_dc = c.temp_stop_dc
        i.cp_gain = c.cp_gain
        i.cp_offset_mv = c.cp_offset_mv

    def rcd_irq(self):
        """The residual-current monitor signalled. May run in interrupt context: opens the contactor
        command at once and flags the trip for the next tick. No allocation."""
        self.io.relay = False
        self._rcd_irq = True  # (also ends a quiet run: tick() checks it)

    # -- the control step -----------------------------------------------------------------------

    def tick(self, now):
        """One control step at now (ms, wrapping like time.ticks_ms). No allocation."""
        # The quiet tick: after a full tick that left nothing pending (_q), a tick with no command since and
        # every input in the class it had then changes nothing, and returns here. The full tick reads its
        # inputs only through these classes (the pilot's window with its hysteresis, the diode window, the
        # cable coding or latch window, the temperature thresholds, the binary inputs), so equal classes give
        # an equal tick. The equivalence tests run every scenario and random noisy inputs with and without
        # this path and compare every output and every state at every tick.
        io = self.io
        q = self._q
        if q and not (
            self._poke or self._rcd_irq or io.relay != self._closed
            or (q == 2 and since(now, self._q_from) >= self._q_len)
            or _inputs(io, self) != self._s_in or self.faults != self._s_faults or self.latched != self._s_latched
        ):
            lim = self.config
            hi = io.cp_high_mv
            lo = io.cp_low_mv
            if self._s_cal:  # as the full tick calibrates them
                cfg = self.inst
                hi = hi * cfg.cp_gain // CAL_GAIN_ONE + cfg.cp_offset_mv
                if lo != NO_SAMPLE:
                    lo = lo * cfg.cp_gain // CAL_GAIN_ONE + cfg.cp_offset_mv
            pp = io.pp_ohm
            t = io.temp_dc
            if (
                lim.max_current_ma == self._s_lim and lim.board_max_ma == self._s_board
                and lim.runtime_ma == self._s_rt
                and (io.pilot == PILOT_N12 or (
                    self._s_hi_min <= hi < self._s_hi_max and self._s_lo_min <= lo <= self._s_lo_max))
                and self._s_pp_min <= pp <= self._s_pp_max
                and self._s_ma_min <= io.ev_ma <= self._s_ma_max
                and (t == self._s_t or _temp_class(t, self.inst) == self._s_temp)
            ):
                self._now = now
                self.quiet = True
                self.quiet_ticks = (self.quiet_ticks + 1) & _COUNT_WRAP
                return
        self.quiet = False
        self._full(now)
        self._q = 0
        if self.fast and not self._pending():
            self._keep(now)

    def _keep(self, now):
        """After a full tick that left nothing pending: note the classes of its inputs (for tick())."""
        io = self.io
        cfg = self.inst
        self._q = 1
        if self.faults & _GFCI_TRIP and not self.latched & _GFCI_TRIP and self.rcd.tripped:
            self._q = 2  # until the reclosure is due
            self._q_from = now
            self._q_len = RECLOSE_DELAY_MS - since(now, self.rcd.trip_t)  # (no sum of times: small ints only)
        self._poke = False
        self._s_in = _inputs(io, self)
        self._s_faults = self.faults
        self._s_latched = self.latched
        lim = self.config
        self._s_lim = lim.max_current_ma
        self._s_board = lim.board_max_ma
        self._s_rt = lim.runtime_ma
        ev = self.ev
        self._s_hi_min = KEEP_MIN[ev]
        self._s_hi_max = KEEP_MAX[ev]
        self._s_cal = cfg.cp_gain != CAL_GAIN_ONE or cfg.cp_offset_mv != 0
        # The low plateau: not looked at unless the PWM runs with an EV there; then either no sample (a pilot
        # too fast for the sampler) or a proven diode (a failing one is timed: _low_bad, never quiet).
        self._s_lo_min = -_ANY
        self._s_lo_max = _ANY
        if io.pilot == PILOT_PWM and PS_B <= ev <= PS_D:
            if io.cp_low_mv == NO_SAMPLE:
                self._s_lo_min = self._s_lo_max = NO_SAMPLE
            else:
                self._s_lo_min = LOW_OK_MIN_MV
                self._s_lo_max = LOW_OK_MAX_MV
        # Proximity: the window of ohms that reads as this cable coding or latch position (or no window).
        if cfg.socket == SOCKET_TYPE2:
            self._s_pp_min = pp_window(io.pp_ohm, True, False)
            self._s_pp_max = pp_window(io.pp_ohm, True, True)
        elif cfg.pp_sense:
            self._s_pp_min = pp_window(io.pp_ohm, False, False)
            self._s_pp_max = pp_window(io.pp_ohm, False, True)
        else:
            self._s_pp_min = -_ANY
            self._s_pp_max = _ANY
        # Metered current: only looked at while the contactor is closed under PWM (the over-current line); an
        # EV over it is being timed (_oc, never quiet), so the window is below the line, or "not measured".
        self._s_ma_min = -_ANY
        self._s_ma_max = _ANY
        if io.relay and io.pilot == PILOT_PWM:
            if io.ev_ma < 0:
                self._s_ma_max = -1
            else:
                self._s_ma_min = 0
                self._s_ma_max = _oc_line(self.offered_ma)
        self._s_t = io.temp_dc
        self._s_temp = _temp_class(io.temp_dc, cfg)

    def _full(self, now):
        self._now = now
        self._poke = False  # every command made before this tick is seen by it
        io = self.io
        if not self.installation_locked():
            self._take_installation()
        cfg = self.inst  # installation settings; current limits are read from self.config below
        before = self.faults ^ (self.latched << F.COUNT)
        was_out = (io.pilot << 1 | io.relay) << 2 | io.lock << 1 | io.rcd_test
        was_duty = io.duty
        was_state = self.state

        # Residual-current monitor: a level, or an edge the ISR latched since the last tick.
        sig = io.rcd or self._rcd_irq
        self._irq_taken = self._rcd_irq  # (a one-shot input: the next tick sees it gone, so it is not quiet)
        self._rcd_irq = False
        testing = self.rcd.testing()
        if testing:
            io.rcd_test = self.rcd.tick(now, sig)

        # Proximity.
        pp_bad = False
        self.latch_pressed = False
        if cfg.socket == SOCKET_TYPE2:
            cable = type2_cable_ma(io.pp_ohm)
            pp_bad = cable == 0
        else:
            cable = cfg.cable_ma
            if cfg.pp_sense:
                latch = j1772_latch(io.pp_ohm)
                pp_bad = latch == LATCH_INVALID
                self.latch_pressed = latch == LATCH_PRESSED
        self.cable_ma = 0 if pp_bad else cable

        # Pilot: only readable while the EVSE drives +12 V or PWM.
        observing = io.pilot != PILOT_N12
        if observing:
            hi = io.cp_high_mv
            lo = io.cp_low_mv
            if cfg.cp_gain != CAL_GAIN_ONE or cfg.cp_offset_mv:  # the board's calibration (cal_cp_*)
                # calibration.apply_mv, inline: that module (the fit) is only imported by the console
                hi = hi * cfg.cp_gain // CAL_GAIN_ONE + cfg.cp_offset_mv
                if lo != NO_SAMPLE:
                    lo = lo * cfg.cp_gain // CAL_GAIN_ONE + cfg.cp_offset_mv
            ev = self.pf.feed(hi, now)
            if io.pilot == PILOT_PWM and PS_B <= ev <= PS_D and lo != NO_SAMPLE:
                if low_plateau_ok(lo):
                    self.diode_seen = True
                    self._low_bad = False
                elif not self._low_bad:
                    self._low_bad = True
                    self._low_bad_t = now
            else:
                self._low_bad = False
        else:
            ev = self.ev
        self.ev = ev
        connected = PS_B <= ev <= PS_D
        ready = ev == PS_C or (ev == PS_D and cfg.ventilation)

        # Temperature: derate with hysteresis, stop above the limit. A sensor that was read and then
        # vanishes, or reads what the board cannot be at, is a fault (temp_sensor), never a cool-down:
        # derating and an over-temperature stop then hold as they were.
        t = io.temp_dc
        t_bad = False
        if t == TEMP_NONE:
            t_bad = self.temp_seen
        elif t < TEMP_MIN_DC or t > TEMP_MAX_DC:
            t_bad = True
        else:
            self.temp_seen = True
            if t >= cfg.temp_derate_dc:
                self.derating = True
            elif t < cfg.temp_restore_dc:
                self.derating = False

        # Causes present now, one bit per fault.
        cause = 0
        if observing:
            if ev == PS_E:
                cause |= _B << F.CP_SHORT  # Table A.6: E while energised -> open
            elif ev >= PS_F:
                cause |= _B << F.PILOT_FAULT
            if ev == PS_D and not cfg.ventilation:
                cause |= _B << F.VENT_REQUIRED
            if self._low_bad and since(now, self._low_bad_t) >= DIODE_FAIL_MS:
                cause |= _B << F.DIODE
        else:
            cause |= self.faults & _PILOT_DERIVED
        if not io.ground:
            cause |= _B << F.NO_GROUND
        if t_bad:
            cause |= (_B << F.TEMP_SENSOR) | (self.faults & _OVER_TEMP)  # unknown: an over-temp stop holds
            if t != TEMP_NONE and t > TEMP_MAX_DC:
                cause |= _OVER_TEMP
        elif t != TEMP_NONE and (
            t >= cfg.temp_stop_dc or (self.faults & _OVER_TEMP and t >= cfg.temp_derate_dc)
        ):
            cause |= _OVER_TEMP
        # A cable coding that falls below the current offered while energised (a 32 A coding reading
        # 13 A under a locked plug) is a fault of the PP circuit, not a new cable: stop as when PP is lost,
        # at once, rather than lower the PWM and let a 13 A cable carry 32 A for the EV's 5 s to follow.
        # It holds until the vehicle is unplugged (docs/protocol.md "Current limits").
        if io.relay and not pp_bad and self.cable_ma < self.offered_ma:
            self._pp_drop = True
        if connected and (pp_bad or self._pp_drop):
            cause |= _B << F.PP_INVALID
        if io.lock and not io.lock_ok and since(now, self._lock_t) >= LOCK_CONFIRM_MS:
            cause |= _B << F.LOCK_FAILED
        live = io.relay_v if cfg.relay_sense else -1  # load side: 1 live, 0 dead, -1 not sensed
        r = self.rsup.tick(now, io.relay, live)
        if r == WELDED:
            cause |= _B << F.RELAY_WELDED
        elif r == FAILED_TO_CLOSE:
            cause |= _B << F.RELAY_FAIL_CLOSE
        if sig and not testing:
            cause |= _GFCI_TRIP
        if self.rcd.phase == RCD_FAILED:
            cause |= _B << F.GFCI_SELFTEST
        if (
            self._withdraw and io.relay and (ev == PS_C or ev == PS_D)
            and since(now, self._withdraw_t) >= WITHDRAW_OPEN_MS
        ):
            cause |= _B << F.EV_NOT_RESPONDING
        # Over-current: what the meter measured under the offer in force since the last tick. Only while the
        # contactor is closed under PWM: a withdrawn PWM has its own 6 s rule above. The line is the offer's, so
        # after a reduction an EV that was within the old offer starts its 5 s at the first tick over the new one.
        ma = io.ev_ma
        if io.relay and io.pilot == PILOT_PWM and ma >= 0 and ma > _oc_line(self.offered_ma):
            if not self._oc:
                self._oc = True
                self._oc_t = now
            elif since(now, self._oc_t) >= OVER_CURRENT_MS:
                cause |= _B << F.OVER_CURRENT
        else:
            self._oc = False
        if io.meter_lost:
            cause |= _ADVISORY
        lim = self.config
        adv = 0 if lim.meter_stop else _ADVISORY  # reported-only faults (unless meter_lost_stop is set)

        # Raise what is new.
        new = cause & ~self.faults
        if new:
            self.faults |= new
            self.latched |= new & F.ALWAYS_LATCHED
            if new & _GFCI_TRIP and self.rcd.trip(now):
                self.latched |= _GFCI_TRIP
            # A fault with a vehicle there, the PWM on, or the contactor closed at the last tick (an
            # interrupt may have opened it since, and the EV may be leaving): F for >= 300 ms.
            if new & ~adv and (connected or io.relay or self._closed or io.pilot == PILOT_PWM):
                self._fhold = True
                self._fhold_t = now
        if adv != self._adv:  # meter_lost_stop switched: a meter_lost in force becomes a stop (F hold) or a report
            self._adv = adv
            if not adv and self.faults & _ADVISORY and (connected or io.relay or io.pilot == PILOT_PWM):
                self._fhold = True
                self._fhold_t = now

        # Clear what has gone. The hold is timed from the first tick without the cause, never from
        # the last tick with it: a bench that skips quiet ticks (idle_until) sees the same clearing
        # time as a board that ticks every 10 ms. Each _gone slot is overwritten in place: no allocation.
        active = self.faults & ~self.latched
        if cause != self._cause or active & _CONDITION:  # (else the loop below would change nothing)
            b = 0
            while b < F.COUNT:
                bit = _B << b
                if cause & bit:
                    pass
                elif self._cause & bit:
                    self._gone[b] = now
                elif active & bit & _CONDITION and since(now, self._gone[b]) >= CLEAR_HOLD_MS:
                    self.faults &= ~bit
                b += 1
        self._cause = cause
        if observing and ev == PS_A:
            self._pp_drop = False
            self.limited = False  # a session limit ends with its session
            self.faults &= ~(_SESSION & ~self.latched)
            if not self.faults & _GFCI_TRIP:
                self.rcd.trips = 0  # a clean end of session: reclosures counted afresh
        if active & _GFCI_TRIP and not sig and self.rcd.reclose_due(now):
            self.faults &= ~_GFCI_TRIP  # UL 2231-2: reclose after 15 min
            self.rcd.tripped = False

        # What can be offered: the lowest of installation, board, cable and temperature limits.
        avail = lim.max_current_ma
        if lim.board_max_ma < avail:
            avail = lim.board_max_ma
        if lim.runtime_ma < avail:
            avail = lim.runtime_ma
        if cable < avail:
            avail = cable
        if self.derating:
            avail //= 2
        self.avail_ma = avail

        # Pilot command.
        stopping = self.faults & ~adv  # the faults that stop charging
        faulted = stopping != 0
        if self._fhold and since(now, self._fhold_t) >= F_HOLD_MS:
            self._fhold = False
        was = io.pilot
        if self.latched or not self.enabled or self._fhold:
            pilot = PILOT_N12
        elif (
            connected and not faulted and not self.sleeping and not self.limited and not self.latch_pressed
            and avail >= MIN_MA and not pp_bad
        ):
            pilot = PILOT_PWM
        else:
            pilot = PILOT_P12
        if pilot == PILOT_PWM:
            want = duty_for_ma(avail)
            # A reduction applies at once: no limit (breaker, cable, board, temperature) may be exceeded,
            # and the EV has its 5 s to follow. An increase waits for the 5 s rule (at most one rise
            # every CHANGE_INTERVAL_MS), so a limit that flickers cannot step the EV's charger often.
            if was != PILOT_PWM or want < io.duty:
                io.duty = want
                self.offered_ma = avail
                self._duty_t = now
            elif want > io.duty and since(now, self._duty_t) >= CHANGE_INTERVAL_MS:
                io.duty = want
                self.offered_ma = avail
                self._duty_t = now
        else:
            self.offered_ma = 0
        if was == PILOT_N12 and pilot != PILOT_N12:
            self.pf.restart()  # nothing was readable under -12 V
        io.pilot = pilot

        # Socket lock (Type 2): locked while a vehicle and a valid cable are there; unlocked on A, but
        # never while the contactor was closed until now or its load side is still live (a welded
        # contactor keeps the socket energised: it stays locked).
        if cfg.socket == SOCKET_TYPE2:
            want_lock = (connected and not pp_bad) or io.relay or live == 1
            if want_lock and not io.lock:
                self._lock_t = now
            io.lock = want_lock
        else:
            io.lock = False
        lock_ok = cfg.socket != SOCKET_TYPE2 or (io.lock and io.lock_ok)

        # Contactor: closes only when every condition holds (docs/standards.md; the property tests).
        can_close = (
            pilot == PILOT_PWM and ready and self.diode_seen and io.ground and not stopping
            and lock_ok and not self.latch_pressed
        )
        if io.relay:
            if can_close:
                self._withdraw = False
            elif (
                not stopping and self.enabled and not self.latch_pressed
                and (ev == PS_C or ev == PS_D) and pilot == PILOT_P12
            ):
                # PWM withdrawn (sleep, current below 6 A): the EV has 6 s to stop and go to B.
                if not self._withdraw:
                    self._withdraw = True
                    self._withdraw_t = now
            else:
                io.relay = False
        elif can_close and live != 1:
            # (A load side still live under an open command is a weld being timed: closing on it would
            # re-energise a welded contactor and hide the weld. docs/standards.md "Ground and contactor".)
            if self.rcd.phase == RCD_PASSED:
                io.relay = True  # the pass is dropped below: it serves this close only
                self.closes += 1
            elif not self.rcd.testing() and self.rcd.phase != RCD_FAILED:
                self.rcd.start_selftest(now)
        if not io.relay:
            self._withdraw = False  # opened above, or by rcd_irq() since the last tick
            if pilot != PILOT_PWM:
                # The diode must be seen again before the next close. While the contactor stays closed
                # through a withdrawal (sleep, then enable with the EV still in C) the session's check
                # stands, and the low plateau is checked again as soon as the PWM is back (_low_bad).
                self.diode_seen = False
        if self.rcd.phase == RCD_PASSED:
            # A pass serves the close on the tick it is obtained, never a later one: if something else
            # held the close back meanwhile, the monitor is tested again when the close can happen.
            self.rcd.cancel()
        if not self.rcd.testing():
            io.rcd_test = False
        self._closed = io.relay

        # Session state as a user would name it.
        if pilot == PILOT_N12:
            st = ST_F
        elif ev == PS_A:
            st = ST_A
        elif ev == PS_E:
            st = ST_E
        elif ev >= PS_F:
            st = ST_F
        else:
            st = ST_B1 + 2 * (ev - PS_B) + (1 if pilot == PILOT_PWM else 0)
        self.state = st

        # Quiet? Only idle_until() asks, on the host bench: the tick keeps what changed (ints compared) and
        # idle_until() works out the rest, so the boards, which tick every TICK_MS regardless, do not.
        self._busy = (
            before != self.faults ^ (self.latched << F.COUNT)
            or was_out != (io.pilot << 1 | io.relay) << 2 | io.lock << 1 | io.rcd_test
            or was_duty != io.duty or was_state != st
        )
        self._held = active & _CONDITION & ~cause  # condition faults whose clearing hold is running

    def idle_until(self, now):
        """With every input held, the earliest ms at which tick() could change anything: -1 if the
        next tick might, None if nothing ever will. For the host bench, which skips quiet ticks; call it
        right after tick() (now: that tick's time)."""
        if self._pending():
            return -1
        if self.faults & _GFCI_TRIP and not self.latched & _GFCI_TRIP and self.rcd.tripped:
            return self.rcd.trip_t + RECLOSE_DELAY_MS
        return None

    def _pending(self):
        """Something the last tick started is still being timed, or that tick changed something: the next
        tick may change more even with every input held. No allocation."""
        io = self.io
        t = self._now
        return (
            self._busy or self._rcd_irq or self._irq_taken or self._poke
            or self.pf.settling() or self._low_bad or self._oc or self._fhold or self._withdraw or self.rcd.testing()
            or self.rsup.pending(t) or self._held
            or (io.lock and not io.lock_ok and since(t, self._lock_t) < LOCK_CONFIRM_MS)
            or (io.pilot == PILOT_PWM and duty_for_ma(self.avail_ma) != io.duty)
        )


def _inputs(io, ch):
    # The binary inputs and the commands in force, packed into one small int (bools are ints). No allocation.
    return (
        (1 if io.rcd else 0) | (1 if io.ground else 0) << 1 | (1 if io.lock_ok else 0) << 2
        | (io.relay_v + 1) << 3 | io.pilot << 5 | (1 if ch.enabled else 0) << 7 | (1 if ch.sleeping else 0) << 8
        | (1 if ch.limited else 0) << 9 | (1 if io.meter_lost else 0) << 10 | (1 if ch.config.meter_stop else 0) << 11
    )


def _oc_line(offered_ma):
    # The over-current line for an offer: + 10 % + 0.5 A (J1772 / IEC 61851-1 tolerance; docs/standards.md).
    return offered_ma + offered_ma // 10 + 500


def _temp_class(t, cfg):
    # The temperature as the full tick uses it: none, below or above what a sensor can read, or in range
    # with one bit per threshold reached (restore, derate, stop). No allocation.
    if t == TEMP_NONE:
        return 0
    if t < TEMP_MIN_DC:
        return 1
    if t > TEMP_MAX_DC:
        return 2
    return 8 | (4 if t >= cfg.temp_stop_dc else 0) | (2 if t >= cfg.temp_derate_dc else 0) | (
        1 if t >= cfg.temp_restore_dc else 0)
