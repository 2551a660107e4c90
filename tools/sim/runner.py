# Runs a scenario: the bench's hardware models around the charging core, in virtual time, as trace lines.
from evse import faults as F
from evse.charger import Charger, TICK_MS
from evse.duty import fmt_tenths
from evse.iodata import IO, Config, STATE_NAMES, PILOT_NAMES, PILOT_PWM, RELAY_V_NONE, TEMP_NONE
from evse.jsonfmt import string as jstr
from evse.settings import Settings
from evse.console import Console
from evse.history import END_NAMES, History
from tools.bench.afe import AFE
from tools.bench.circuit import pilot_plateaus, pp_volts_mv
from tools.bench.load import DRAWS_BELOW_OHM, BenchMeter, VehicleLoad, offer_ma
from tools.bench.plant import Contactor, ResidualMonitor, SocketLock
from tools.bench.prng import Prng
from tools.sim.scenario import EV_LETTERS

BENCH_BOARD_MAX_MA = 80000  # the bench's default board allows the J1772 maximum
DEFAULT_TEMP_DC = 250  # 25.0 C unless a scenario says otherwise
DEFAULT_TYPE2_PP_OHM = 220  # a 32 A cable in the socket unless a scenario says otherwise
DEFAULT_LATCH_PP_OHM = 150  # tethered J1772 cable with PP sensing: latch engaged (S3 closed)
METER_EVERY_MS = 10000  # a "meter" trace event at most this often while the contactor is closed


def num(v):
    """JSON text for an int or a float, identical on both interpreters (floats to 0.1)."""
    if isinstance(v, float):
        return fmt_tenths(int(round(v * 10)))
    return str(v)


def amps(ma):
    """'16' for 16000 mA, '6.5' for 6500: whole amps when exact, else tenths."""
    if ma % 1000 == 0:
        return str(ma // 1000)
    return fmt_tenths(ma // 100)


class Bench:
    """The hardware around the core: pilot circuit and front end, PP, contactor, monitor, lock, PE, sensor."""

    def __init__(self, seed, socket, pp_sense, monitor="ccid20"):
        self.afe = AFE(Prng(seed))
        self.ev_ohm = None
        self.ev_diode = True
        self.cp_short = False
        if socket == "type2":
            self.pp_ohm = DEFAULT_TYPE2_PP_OHM
        elif pp_sense:
            self.pp_ohm = DEFAULT_LATCH_PP_OHM
        else:
            self.pp_ohm = None
        self.ground = True
        self.temp_dc = DEFAULT_TEMP_DC
        self.residual_ma = 0  # what the vehicle side would leak with the contactor closed
        self.residual_dc_ma = 0
        self.contactor = Contactor()
        self.rcm = ResidualMonitor(monitor)
        self.lock = SocketLock()
        self.load = VehicleLoad()
        self.meter = BenchMeter("none", self.load)

    def fit_meter(self, settings, max_ma):
        """The vehicle's load and the meter of the settings (meter, phases, meter_address, s0_ppk)."""
        self.load = VehicleLoad(settings["phases"])
        self.meter = BenchMeter(settings["meter"], self.load, settings["phases"], settings["meter_address"],
                                settings["s0_ppk"], max_ma)

    def apply(self, key, v, now):
        """A scenario input at now."""
        if key == "ev":
            self.ev_ohm = EV_LETTERS[v]
        elif key == "ev_ohm":
            self.ev_ohm = v
        elif key == "ev_diode":
            self.ev_diode = v
        elif key == "cp_short":
            self.cp_short = v
        elif key == "pp_ohm":
            self.pp_ohm = v
        elif key == "residual_ma":
            self.residual_ma = v
        elif key == "residual_dc_ma":
            self.residual_dc_ma = v
        elif key == "ground":
            self.ground = v
        elif key == "temp_c":
            self.temp_dc = TEMP_NONE if v is None else int(round(v * 10))
        elif key == "relay_weld":
            self.contactor.update(now)
            self.contactor.weld = v
        elif key == "relay_fail_close":
            self.contactor.update(now)
            self.contactor.fail_close = v
        elif key == "gfci_sensor_dead":
            self.rcm.set_inputs(now, dead=v)
        elif key == "lock_jam":
            self.lock.update(now)
            self.lock.jammed = v
        elif key == "ev_max_a":
            self.load.update(now)
            self.load.ev_max_ma = int(round(v * 1000))
        elif key == "ev_draw_a":
            self.load.update(now)
            self.load.forced_ma = None if v is None else int(round(v * 1000))
        elif key == "mains_v":
            self.load.update(now)
            self.load.mains_dv = int(round(v * 10))
        elif key == "meter_fail":
            self.meter.fail = v
            if self.meter.sim is not None:
                self.meter.sim.fail = v  # (read at each request when the firmware's own task polls)
        self.settle(now)

    def settle(self, now):
        """Bring the models to now; residual current only flows through closed contacts."""
        closed = self.contactor.closed_contacts(now)
        self.rcm.set_inputs(
            now,
            residual_ma=self.residual_ma if closed else 0,
            residual_dc_ma=self.residual_dc_ma if closed else 0,
        )

    def sense(self, now, io):
        """What the board's inputs read at now."""
        hi, lo = pilot_plateaus(io.pilot, self.ev_ohm, self.ev_diode, self.cp_short)
        afe = self.afe
        io.cp_high_mv = afe.counts_to_cp_mv(afe.cp_counts(hi))
        if io.pilot == PILOT_PWM:
            io.cp_low_mv = afe.counts_to_cp_mv(afe.cp_counts(lo))
        else:
            io.cp_low_mv = lo
        io.pp_ohm = afe.counts_to_pp_ohm(afe.pp_counts(pp_volts_mv(self.pp_ohm)))
        io.ground = self.ground
        io.relay_v = 1 if self.contactor.load_live(now) else 0
        io.rcd = self.rcm.signal(now)
        io.temp_dc = self.temp_dc
        io.lock_ok = self.lock.locked(now)
        self.meter.reading.to_io(io)

    def follow(self, now, io):
        """The vehicle's draw after whatever changed at now: contacts, its S2, the PWM it reads."""
        ev = self.ev_ohm
        flowing = self.contactor.closed_contacts(now) and ev is not None and ev < DRAWS_BELOW_OHM
        self.load.follow(now, flowing, offer_ma(io))

    def actuate(self, now, io):
        """Apply the core's commands to the hardware at now."""
        self.contactor.command(io.relay, now)
        self.lock.command(io.lock, now)
        if io.rcd_test != self.rcm.test_drive:
            self.rcm.set_inputs(now, test_drive=io.rcd_test)
        self.settle(now)

    def next_change(self, now):
        """Earliest ms after now at which a model changes by itself, or None."""
        best = None
        for m in (self.contactor, self.rcm, self.lock, self.meter):
            t = m.next_change_ms(now)
            if t is not None and (best is None or t < best):
                best = t
        return best


class Tracer:
    """Turns changes of the core's outputs into trace lines, in a fixed order within a ms."""

    def __init__(self, out):
        self.out = out
        self.state = -1
        self.pilot = -1
        self.duty = -1
        self.relay = None
        self.load = None  # the load-side sense as last traced
        self.faults = 0
        self.latched = 0
        self.lock = False
        self.selftests = 0
        self.latch = False
        self.history = None  # set by the runner: the session events
        self.reading = None  # the meter's Reading: the meter events (None: no meter fitted)
        self._ends = 0
        self._mgood = -1
        self._mt = None  # when the last meter event was written in this closing of the contactor
        self._mclosed = False

    def attach(self, history, reading):
        self.history = history
        self.reading = reading if reading is not None and reading.fitted else None
        self._ends = history.ends

    def line(self, t, event, rest):
        self.out('{"t_ms": ' + str(t) + ', "event": "' + event + '"' + rest + "}")

    def observe(self, t, ch):
        io = ch.io
        f = ch.faults
        b = 0
        while b < F.COUNT:
            bit = 1 << b
            if f & bit and not self.faults & bit:
                lat = "true" if ch.latched & bit else "false"
                self.line(t, "fault", ', "code": "' + F.NAMES[b] + '", "latched": ' + lat)
            elif self.faults & bit and not f & bit:
                self.line(t, "fault_cleared", ', "code": "' + F.NAMES[b] + '"')
            elif f & bit and ch.latched & bit and not self.latched & bit:
                self.line(t, "fault", ', "code": "' + F.NAMES[b] + '", "latched": true')
            b += 1
        self.faults = f
        self.latched = ch.latched
        if ch.rcd.selftest_count != self.selftests:
            self.selftests = ch.rcd.selftest_count
            self.line(t, "selftest", ', "result": "pass"')
        if ch.latch_pressed != self.latch:
            self.latch = ch.latch_pressed
            self.line(t, "latch", ', "pressed": ' + ("true" if self.latch else "false"))
        if io.relay != self.relay:
            self.relay = io.relay
            self.line(t, "relay", ', "closed": ' + ("true" if io.relay else "false"))
        if io.relay_v != self.load:  # what the load-side sense reads, where the board has one
            self.load = io.relay_v
            if io.relay_v != RELAY_V_NONE:
                self.line(t, "load", ', "live": ' + ("true" if io.relay_v else "false"))
        duty = io.duty if io.pilot == PILOT_PWM else -1
        if io.pilot != self.pilot or duty != self.duty:
            self.pilot = io.pilot
            self.duty = duty
            if duty < 0:
                rest = ', "mode": "' + PILOT_NAMES[io.pilot] + '", "duty_pct": null, "amps": null'
            else:
                rest = ', "mode": "pwm", "duty_pct": ' + fmt_tenths(duty) + ', "amps": ' + amps(ch.offered_ma)
            self.line(t, "pilot", rest)
        if io.lock != self.lock:
            self.lock = io.lock
            self.line(t, "lock", ', "locked": ' + ("true" if io.lock else "false"))
        if ch.state != self.state:
            self.state = ch.state
            self.line(t, "state", ', "state": "' + STATE_NAMES[ch.state] + '"')
        r = self.reading
        if r is not None:
            # At most every 10 s while the contactor is closed (at the first reading after it closes, then at the
            # first one 10 s after the last line), and once when it opens.
            if io.relay:
                if not self._mclosed:
                    self._mgood = r.good  # the first line comes with the first reading taken closed
                elif r.good != self._mgood and (self._mt is None or t - self._mt >= METER_EVERY_MS):
                    self._meter(t, r)
                    self._mt = t
            elif self._mclosed:
                self._meter(t, r)
                self._mt = None
            self._mclosed = io.relay
        h = self.history
        if h is not None and h.ends != self._ends:
            self._ends = h.ends
            e = h.last_end
            dur = (e[3] * 0x40000000 + e[4] - e[1] * 0x40000000 - e[2]) // 1000
            wh = "null" if e[6] < 0 else str(e[6])
            self.line(t, "session", ', "energy_wh": ' + wh + ', "duration_s": ' + str(dur) + ', "end": "'
                      + END_NAMES[e[7]] + '"')

    def _meter(self, t, r):
        self._mgood = r.good
        if r.amps:
            cur = "[" + ", ".join(str(r.current_ma[i]) for i in range(r.phases)) + "]"
        else:
            cur = "null"
        h = self.history
        wh = "null" if h is None or h.session_wh < 0 else str(h.session_wh)
        self.line(t, "meter", ', "power_w": ' + str(r.power_w) + ', "current_ma": ' + cur + ', "energy_wh": ' + wh)

    def input(self, t, items):
        rest = ""
        for k, v in items:
            if v is None:
                txt = "null"
            elif v is True:
                txt = "true"
            elif v is False:
                txt = "false"
            elif isinstance(v, str):
                txt = jstr(v)
            else:
                txt = num(v)
            rest += ', "' + k + '": ' + txt
        self.line(t, "input", rest)


def make_charger(settings):
    """A Charger configured from a Settings object (the bench board: 80 A)."""
    cfg = Config()
    cfg.board_max_ma = BENCH_BOARD_MAX_MA
    settings.to_config(cfg)
    return Charger(cfg, IO())


def _discard(text):
    pass


def idle_min(a, b):
    """The earlier of two idle_until() answers (-1: the next tick; None: never)."""
    if a is None:
        return b
    if b is None or a == -1:
        return a
    if b == -1 or b < a:
        return b
    return a


_idle = idle_min


class Run:
    """One scenario run; step through it with run(), or drive it from a test with advance()."""

    def __init__(self, sc, out, skip_quiet=True, noise=True):
        self.sc = sc
        self.skip_quiet = skip_quiet  # jump over ticks the core says cannot change anything
        self.settings = Settings(path=None)  # RAM only: a scenario never touches flash
        self.settings.preset(sc.settings)  # the scenario's settings are what the "flash" holds
        self.ch = make_charger(self.settings)
        self.history = History(path=None)
        self.bench = Bench(sc.seed, sc.settings["socket"], sc.settings["pp_sense"], sc.monitor)
        self.bench.fit_meter(sc.settings, BENCH_BOARD_MAX_MA)
        self.history.energy = self.bench.meter.energy
        if not noise:
            self.bench.afe.noise_counts = 0
        self.tr = Tracer(out)
        self.tr.attach(self.history, self.bench.meter.reading)
        self.t = 0
        self.next_tick = 0
        self._ei = 0
        self._sig = False
        con = Console(self.ch, self.settings, self.history, self._clock, _discard)
        con.commands.fit_meter(sc.settings["meter"], self.bench.meter.reading)
        self.console = con.handle_line  # a scenario's "console" input: one line, one reply

    def _step(self, t):
        ch = self.ch
        io = ch.io
        bench = self.bench
        ev = self.sc.events
        if t != self.next_tick:
            # An input changes now (scenario event, or a model moving by itself): tick at the next
            # grid point even if the core said it was quiet.
            g = (t + TICK_MS - 1) // TICK_MS * TICK_MS
            if g < self.next_tick:
                self.next_tick = g
        while self._ei < len(ev) and ev[self._ei][0] == t:
            items = ev[self._ei][1]
            self.tr.input(t, items)
            for k, v in items:
                if k == "console":
                    self._console(t, v)
                else:
                    bench.apply(k, v, t)
            self._ei += 1
        bench.settle(t)
        bench.meter.advance(t)  # the meter task's poll, if one is due (a board runs it between steps)
        sig = bench.rcm.signal(t)
        if sig and not self._sig:
            ch.rcd_irq()  # the monitor's trip line is a hard IRQ on the boards: act at this very ms
            bench.actuate(t, io)
            self.tr.observe(t, ch)
        self._sig = sig
        if t == self.next_tick:
            bench.sense(t, io)
            ch.tick(t)
            self.history.observe(t, ch)
            self.settings.flush(io.relay)  # as the board's housekeeping task: a staged save, once open
            bench.actuate(t, io)
            self.tr.observe(t, ch)
            self.next_tick = t + TICK_MS
            if self.skip_quiet:
                idle = _idle(ch.idle_until(t), self.history.idle_until(t, ch))
                if idle is None:
                    self.next_tick = self.sc.duration_ms + TICK_MS  # until an input changes
                elif idle > self.next_tick:
                    self.next_tick = (idle + TICK_MS - 1) // TICK_MS * TICK_MS
        bench.follow(t, io)

    def _clock(self):
        return self.t

    def _console(self, t, line):
        out = self.console(line)
        self.tr.line(t, "console", ', "in": ' + jstr(line) + ', "out": ' + jstr(out))

    def advance(self, until):
        """Run up to and including virtual ms `until`."""
        ev = self.sc.events
        while self.t <= until:
            self._step(self.t)
            nt = self.next_tick
            if self._ei < len(ev) and ev[self._ei][0] < nt:
                nt = ev[self._ei][0]
            bt = self.bench.next_change(self.t)
            if bt is not None and bt < nt:
                nt = bt
            if nt > until:
                self._finish(until)
                self.t = nt
                break
            self.t = nt

    def _finish(self, until):
        """Bring the hardware to the end of ms `until` (the bench's models need nothing)."""

    def run(self):
        self.advance(self.sc.duration_ms)
