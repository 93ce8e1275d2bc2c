"""deltacloudd: run the bundled Deltacloud API server (the `mock` or `ec2` driver).

Started like the real one (`deltacloudd -i mock -r 127.0.0.1 -p 3002`, or
`deltacloudd -i ec2 -P us-west-2` in front of EC2: the clients' Basic-auth
user and password are the access key id and secret key); the extra long
options configure the simulator's test features.
"""

import argparse
import os
import signal
import sys
import threading

from pycondorlite.deltacloud import fixtures
from pycondorlite.deltacloud.ec2driver import service_url_for
from pycondorlite.deltacloud.simulator import Simulator
from pycondorlite.ec2 import EC2Error
from pycondorlite.version import __version__

DRIVERS = ("ec2", "mock")
MOCK_ONLY = ("pending_delay", "stopping_delay", "state_file", "no_fixtures", "unique_ids")


def _rate(text):
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text} is not between 0 and 1")
    return value


def _seconds(text):
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} is negative")
    return value


def _codes(text):
    try:
        codes = tuple(int(c) for c in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text} is not a comma-separated list of status codes")
    if not all(400 <= c <= 599 for c in codes):
        raise argparse.ArgumentTypeError("fault codes must be HTTP error statuses (4xx/5xx)")
    return codes


def build_parser():
    p = argparse.ArgumentParser(
        prog="deltacloudd", usage="deltacloudd -i <driver> [options]",
        description="Deltacloud API server with the mock or ec2 driver (pycondorlite's).")
    p.add_argument("-i", "--driver", help="Driver to use: mock, or ec2")
    p.add_argument("-r", "--hostname", default="127.0.0.1",
                   help="Bind to HOST address (default: 127.0.0.1)")
    p.add_argument("-p", "--port", type=int, default=3001, help="Use PORT (default: 3001; 0 picks one)")
    p.add_argument("-P", "--provider",
                   help="Use PROVIDER: for ec2 a region (us-west-2) or an EC2 service URL; "
                        "for mock only echoed as X-Deltacloud-Provider")
    p.add_argument("-e", "--env", default="development", help="Environment (accepted, ignored)")
    p.add_argument("-t", "--timeout", type=_seconds, default=60.0,
                   help="Timeout for a single request, in seconds (default: 60)")
    p.add_argument("-b", "--pid", help="File to store the PID in")
    p.add_argument("-l", "--drivers", action="store_true", help="List available drivers")
    p.add_argument("-V", "--verbose", action="store_true", help="Log every request to stderr")
    p.add_argument("--webrick", action="store_true", help="Accepted for compatibility; ignored")
    p.add_argument("--version", action="version", version=f"deltacloudd (pycondorlite {__version__}) "
                   f"Deltacloud API {fixtures.API_VERSION}")
    for flag in ("-d", "--daemon", "-s", "--ssl", "--cimi"):
        p.add_argument(flag, dest="unsupported_" + flag.lstrip("-"), action="store_true",
                       help=argparse.SUPPRESS)
    for flag in ("-c", "--config", "-u", "--user", "-g", "--group", "-k", "--ssl-key", "-C", "--ssl-cert"):
        p.add_argument(flag, dest="unsupported_" + flag.lstrip("-"), help=argparse.SUPPRESS)
    sim = p.add_argument_group("simulator options")
    sim.add_argument("--pending-delay", type=_seconds, default=0.0,
                     help="Seconds a new instance stays PENDING before RUNNING (default: 0, as the mock)")
    sim.add_argument("--stopping-delay", type=_seconds, default=0.0,
                     help="Seconds a stopped instance stays STOPPING before STOPPED (default: 0)")
    sim.add_argument("--state-file", help="Keep instances in FILE across restarts")
    sim.add_argument("--no-fixtures", action="store_true",
                     help="Start without the mock's seed instances inst0..inst3 and key test-key")
    sim.add_argument("--unique-ids", action="store_true",
                     help="Never reuse an instance id (the mock reuses the lowest free instN)")
    sim.add_argument("--fail-rate", type=_rate, default=0.0,
                     help="Fraction of /api requests answered with an error (default: 0)")
    sim.add_argument("--fail-codes", type=_codes, default=(500, 502, 503),
                     help="Statuses used for --fail-rate (default: 500,502,503)")
    sim.add_argument("--latency", type=_seconds, default=0.0, help="Seconds added to every /api request")
    sim.add_argument("--drop-rate", type=_rate, default=0.0,
                     help="Fraction of /api requests whose connection is closed without a reply")
    sim.add_argument("--seed", type=int, help="Random seed for fault injection")
    return p


def main(argv=None):
    args = build_parser().parse_args(argv)
    unsupported = [k[len("unsupported_"):] for k, v in vars(args).items()
                   if k.startswith("unsupported_") and v]
    if unsupported:
        flag = unsupported[0]
        flag = ("-" if len(flag) == 1 else "--") + flag
        print(f"deltacloudd: option {flag} is not supported by this server", file=sys.stderr)
        return 1
    if args.drivers:
        print("Available drivers:\n")
        print("* " + "\n* ".join(DRIVERS))
        print()
        return 0
    if not args.driver:
        print("You need to specify a driver to use (-i <driver>)")
        print("To list all available drivers try: deltacloudd --drivers")
        return 1
    driver = args.driver.lower()
    if driver not in DRIVERS:
        print(f"deltacloudd: driver '{args.driver}' is not available; this server supports the "
              "'mock' and 'ec2' drivers", file=sys.stderr)
        return 1
    if driver == "ec2":
        given = [name for name in MOCK_ONLY if getattr(args, name)]
        if given:
            print(f"deltacloudd: --{given[0].replace('_', '-')} applies to the mock driver only",
                  file=sys.stderr)
            return 1
    try:
        sim = Simulator(args.hostname, args.port, driver=driver, pending_delay=args.pending_delay,
                        stopping_delay=args.stopping_delay, state_file=args.state_file,
                        faults={"fail_rate": args.fail_rate, "fail_codes": args.fail_codes,
                                "latency": args.latency, "drop_rate": args.drop_rate},
                        provider=args.provider, fixtures=not args.no_fixtures,
                        unique_ids=args.unique_ids, seed=args.seed, verbose=args.verbose,
                        request_timeout=args.timeout)
    except EC2Error as exc:
        print(f"deltacloudd: provider {args.provider}: {exc.message}", file=sys.stderr)
        return 1
    except (OSError, ValueError) as exc:
        detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        print(f"deltacloudd: state file {args.state_file}: {detail}", file=sys.stderr)
        return 1
    try:
        sim.bind()
    except OSError as exc:
        print(f"deltacloudd: cannot listen on {args.hostname}:{args.port}: {exc.strerror or exc}",
              file=sys.stderr)
        sim.stop()
        return 1
    if args.pid:
        with open(args.pid, "w") as f:
            f.write(f"{os.getpid()}\n")
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    sim.start()
    msg = f"Starting Deltacloud API :: {driver} :: "
    if driver == "ec2":
        msg += f"{service_url_for(args.provider)} :: "
    elif args.provider:
        msg += f"{args.provider} :: "
    print(msg + sim.url + "\n", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        sim.stop()
        if args.pid:
            try:
                os.unlink(args.pid)
            except OSError:
                pass
    return 0
