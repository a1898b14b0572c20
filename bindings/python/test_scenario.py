"""A worker's first report, end to end, through the generated Python bindings of the core.

The real native library (``libworkvoice_core.so``) runs the app; this file is a minimal
Python shell around it (send events, perform the HTTP requests the core hands out, resolve
them, read the view model) and a scenario against a real relay started by
``scripts/test-python-bindings`` (the ``workvoice-testbed``, which also plays the union):

first run with a PIN, a report with a recruitment fee and two ILO indicators, sent, delivered,
acknowledged, and the union's reply read on the phone; then lock and unlock with the PIN.

Environment (exported by ``scripts/test-python-bindings``):
``WORKVOICE_RELAY_URL``, ``WORKVOICE_ROOT_PUBLIC_KEY``, ``WORKVOICE_LIB_DIR`` (the directory
of the built library), optionally ``WORKVOICE_UNION_NAME``.

Run: ``python3 bindings/python/test_scenario.py`` (or with pytest). Standard library only.
"""

from __future__ import annotations

import collections
import importlib
import os
import shutil
import socket
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request
from typing import Any, Callable, Dict, List, Optional

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from workvoice_types import WorkvoiceTypes  # noqa: E402

LIBRARY = {"darwin": "libworkvoice_core.dylib", "win32": "workvoice_core.dll"}.get(
    sys.platform, "libworkvoice_core.so")
PIN = "482913"
RECRUITER = "Sagarmatha Manpower Pvt. Ltd."


def required_env(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        raise RuntimeError(
            f"{name} is not set: run scripts/test-python-bindings, which builds the library, "
            "starts the testbed relay and exports it")
    return value


def load_bindings(lib_dir: str, into: str):
    """The generated module loads the library from its own directory: put both there."""
    shutil.copy(os.path.join(HERE, "workvoice_core.py"), into)
    shutil.copy(os.path.join(lib_dir, LIBRARY), into)
    sys.path.insert(0, into)
    try:
        return importlib.import_module("workvoice_core")
    finally:
        sys.path.remove(into)


class PythonShell:
    """The effect loop: events in, HTTP performed and resolved, the view model kept."""

    def __init__(self, ffi, types: WorkvoiceTypes, config: Dict[str, Any]) -> None:
        self.types = types
        self.core = ffi.CoreFfi(types.encode("HostConfig", config))
        self.view: Optional[Dict[str, Any]] = None
        self.http_log: List[str] = []
        # Platform actions the core asked for (the secret is forgotten after a wipe).
        self.platform: List[Any] = []
        # A faulty network: the next request whose path starts with one of these is cut off.
        self.cut_next: List[str] = []
        self.no_proxy = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def start(self) -> None:
        self._process(self.core.start())

    def dispatch(self, event: Any) -> None:
        self._process(self.core.update(self.types.encode("Event", event)))

    def _process(self, data: bytes) -> None:
        queue = collections.deque(self.types.decode_seq("ShellRequest", data))
        while queue:
            request = queue.popleft()
            effect = request["effect"]
            if "Render" in effect:
                self.view = self.types.decode("ViewModel", self.core.view())
            elif "Platform" in effect:
                self.platform.append(effect["Platform"])
            elif "Http" in effect:
                result = self._perform(effect["Http"])
                answer = self.core.resolve(request["id"], self.types.encode("HttpResult", result))
                queue.extend(self.types.decode_seq("ShellRequest", answer))
            else:
                raise AssertionError(f"an effect the shell does not know: {effect}")

    def locked(self) -> bool:
        return self.view is not None and self.screen() == "Unlock"

    def _perform(self, http: Dict[str, Any]) -> Dict[str, Any]:
        method = http["method"].upper()
        path = http["url"].split("?")[0].split("/v1/", 1)[-1]
        locked = " (locked)" if self.locked() else ""
        for prefix in self.cut_next:
            if path.startswith(prefix):
                self.cut_next.remove(prefix)
                self.http_log.append(f"{method} /v1/{path} -> cut off{locked}")
                return {"Failed": {"kind": "Connection", "message": "cut off by the test"}}
        request = urllib.request.Request(
            http["url"], data=bytes(http["body"]) if method != "GET" else None, method=method)
        for header in http["headers"]:
            request.add_header(header["name"], header["value"])
        timeout = max(http["timeout_ms"], 1) / 1000
        try:
            with self.no_proxy.open(request, timeout=timeout) as response:
                status, body = response.status, response.read()
        except urllib.error.HTTPError as e:
            status, body = e.code, e.read()
        except (socket.timeout, TimeoutError) as e:
            return {"Failed": {"kind": "Timeout", "message": str(e)}}
        except (urllib.error.URLError, ConnectionError, OSError) as e:
            return {"Failed": {"kind": "Connection", "message": str(e)}}
        replies = ""
        if path.startswith("mailbox/"):
            path = "mailbox"
            if status == 200 and b'"kind":"reply"' in body:
                replies = " with a reply"
        self.http_log.append(f"{method} /v1/{path} -> {status}{replies}{locked}")
        return {"Response": {"status": status, "body": body}}

    def screen(self) -> str:
        screen = self.view["screen"]
        return screen if isinstance(screen, str) else next(iter(screen))

    def screen_data(self, name: str) -> Dict[str, Any]:
        self.expect_screen(name)
        return self.view["screen"][name]

    def expect_screen(self, name: str) -> None:
        if self.screen() != name:
            raise AssertionError(f"expected the {name} screen, the core shows {self.view}")

    def wait_for(self, what: str, predicate: Callable[[Dict[str, Any]], bool],
                 timeout: float = 60.0) -> Dict[str, Any]:
        """Run the core's timers (Tick when the view asks) until the view satisfies predicate."""
        deadline = time.monotonic() + timeout
        while True:
            if self.view is not None and predicate(self.view):
                return self.view
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(
                    f"timed out waiting for {what}; last view: {self.view}; "
                    f"HTTP: {self.http_log[-10:]}")
            wake = self.view.get("wake_in_ms") if self.view else None
            time.sleep(min(left, 0.05 if wake is None else max(wake, 10) / 1000))
            self.dispatch("Tick")


class FirstReportScenario(unittest.TestCase):
    def setUp(self) -> None:
        self.relay_url = required_env("WORKVOICE_RELAY_URL")
        self.root_key = required_env("WORKVOICE_ROOT_PUBLIC_KEY")
        lib_dir = required_env("WORKVOICE_LIB_DIR")
        self.union_name = os.environ.get("WORKVOICE_UNION_NAME", "Building Workers Union")
        self.tmp = tempfile.mkdtemp(prefix="workvoice-python-")
        self.platform_secret = os.urandom(32)
        self.addCleanup(shutil.rmtree, self.tmp, True)
        os.mkdir(os.path.join(self.tmp, "lib"))
        self.ffi = load_bindings(lib_dir, os.path.join(self.tmp, "lib"))
        self.types = WorkvoiceTypes.load()

    def config(self) -> Dict[str, Any]:
        return {
            "data_dir": os.path.join(self.tmp, "vault"),
            "app": {
                "relay_url": self.relay_url,
                "root_public_key": self.root_key,
                "system_language": "en",
                "retry_base_ms": 200,
                "retry_cap_ms": 1_000,
                "mailbox_poll_base_ms": 200,
                "mailbox_poll_cap_ms": 1_000,
                "http_timeout_ms": 10_000,
                "upload_chunk_bytes": 256 * 1024,
                "ohttp_relay": None,
            },
            "insecure_fast_kdf": True,
            "max_pin_attempts": 5,
            # As a phone passes its Keystore/Keychain secret: the vault mixes it into the PIN key.
            "platform_secret": self.platform_secret,
        }

    def test_bad_bytes_are_a_typed_error(self) -> None:
        with self.assertRaises(self.ffi.CoreFfiError.Decode):
            self.ffi.CoreFfi(b"\x01\x02")
        core = self.ffi.CoreFfi(self.types.encode("HostConfig", self.config()))
        with self.assertRaises(self.ffi.CoreFfiError.NotStarted):
            core.view()
        # A platform secret must be 32 bytes (or none): anything else is refused at start.
        short = dict(self.config(), platform_secret=b"\x01" * 16)
        core = self.ffi.CoreFfi(self.types.encode("HostConfig", short))
        with self.assertRaises(self.ffi.CoreFfiError.InvalidConfig):
            core.start()

    def test_first_report_is_delivered_and_answered(self) -> None:
        shell = PythonShell(self.ffi, self.types, self.config())
        shell.start()
        shell.expect_screen("Welcome")

        # First run: a PIN (a mismatch is refused first), then the recovery code.
        shell.dispatch("StartSetup")
        shell.expect_screen("SetPin")
        shell.dispatch({"SubmitNewPin": {"pin": PIN, "confirm": "000000", "duress_pin": None}})
        self.assertIsNotNone(shell.screen_data("SetPin")["error"], "a mismatched PIN is refused")
        shell.dispatch({"SubmitNewPin": {"pin": PIN, "confirm": PIN, "duress_pin": None}})
        code = shell.screen_data("ShowRecoveryCode")["code"]
        # 28 Crockford base-32 characters in groups of four, to write down.
        self.assertRegex(code, r"^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){6}$")
        shell.dispatch("RecoveryCodeWritten")
        shell.expect_screen("Home")

        # Compose as a shell does: it types into and taps the inputs the view lists, by the
        # ids the view gives, and never builds a report event itself.
        def compose() -> Dict[str, Any]:
            return shell.screen_data("Compose")

        def type_in(field: str, value: str) -> None:
            self.assertIn(field, [f["id"] for f in compose()["fields"]], compose())
            shell.dispatch({"Input": {"field": field, "value": value}})

        def pick(group: str, choice: str) -> None:
            groups = [g for g in compose()["options"] if g["id"] == group]
            self.assertEqual(len(groups), 1, compose())
            self.assertIn(choice, [c["code"] for c in groups[0]["choices"]])
            shell.dispatch({"Pick": {"field": group, "code": choice}})

        shell.dispatch("NewReport")
        self.assertEqual(compose()["step_number"], 1)
        for field, value in (("FeeAmount", "150000"), ("FeeCurrency", "NPR"),
                             ("FeePaidOn", "2026-03")):
            type_in(field, value)
        for group, choice in (("FeePayee", "sub_agent"), ("FeeStage", "origin"),
                              ("FeeCategory", "recruitment_service_fee"), ("FeeReceipt", "no")):
            pick(group, choice)
        self.assertIn("AddFee", [a["id"] for a in compose()["actions"]])
        shell.dispatch({"Act": {"action": "AddFee"}})
        fees = [i for i in compose()["items"] if i["list"] == "Fees"]
        self.assertEqual(len(fees), 1)
        self.assertIn("150,000.00 NPR", fees[0]["text"])
        # The inputs the payment was typed in are empty again.
        self.assertTrue(all(f["value"] == "" for f in compose()["fields"]), compose()["fields"])
        shell.dispatch("NextStep")
        self.assertEqual(compose()["step_number"], 2)
        for indicator in ("retention_of_identity_documents", "withholding_of_wages"):
            pick("Indicators", indicator)
        chosen = [c["code"] for group in compose()["options"]
                  for c in group["choices"] if c["selected"]]
        self.assertEqual(sorted(chosen), ["retention_of_identity_documents", "withholding_of_wages"])
        shell.dispatch("NextStep")
        type_in("RecruiterName", RECRUITER)
        type_in("RecruiterLicenceNumber", "1234/067/068")
        type_in("RecruiterCountry", "NP")
        shell.dispatch("NextStep")
        type_in("DestinationCountry", "QA")
        type_in("OriginCountry", "NP")
        pick("Sector", "F")
        shell.dispatch("NextStep")
        type_in("WageAmount", "1000")
        type_in("WageCurrency", "QAR")
        pick("ContractSubstituted", "yes")
        shell.dispatch("NextStep")
        type_in("StoryText", "They kept my passport. No wages for three months.")
        type_in("StoryLanguage", "en")
        shell.dispatch("NextStep")
        shell.dispatch("NextStep")  # no evidence
        # Toggles: tap those whose state is not the one wanted (the union is on already).
        wanted = {"union", "contact_wanted"}
        consent = [g for g in compose()["options"] if g["id"] == "Consent"][0]
        self.assertTrue(consent["multiple"])
        for choice in consent["choices"]:
            if choice["selected"] != (choice["code"] in wanted):
                pick("Consent", choice["code"])
        consent = [g for g in compose()["options"] if g["id"] == "Consent"][0]
        self.assertEqual({c["code"] for c in consent["choices"] if c["selected"]}, wanted)
        self.assertEqual([e for e in compose()["errors"]], [])
        self.assertEqual(
            [e for g in compose()["options"] for e in g["errors"]], [], compose()["options"])
        shell.dispatch("NextStep")

        # Review: the directory is fetched and verified; the union receives it, others are
        # withheld for lack of consent.
        review = shell.wait_for(
            "the review to list the recipients",
            lambda v: "Review" in v["screen"] and v["screen"]["Review"]["recipients"])
        review = review["screen"]["Review"]
        self.assertTrue(review["can_send"], review)
        self.assertEqual([r["name"] for r in review["recipients"]], [self.union_name])
        self.assertTrue(review["withheld"], "the inspectorate and the NGO are withheld")
        self.assertTrue(any("QA" in line["value"] for line in review["disclosed"]), review["disclosed"])

        # The first attempt is cut off (a faulty network); then the app goes to the
        # background: it locks at once, shows nothing of the report, and delivers without the
        # PIN: the submission is resent and the mailbox polled until the union's reply arrives,
        # still sealed.
        shell.cut_next.append("submissions")
        shell.dispatch("SendReport")
        self.assertIn("POST /v1/submissions -> cut off", shell.http_log)
        shell.dispatch("Background")
        shell.expect_screen("Unlock")
        shown = repr(shell.view)
        for secret in (RECRUITER, "passport", "150,000", code):
            self.assertNotIn(secret, shown)
        shell.wait_for(
            "the reply to reach the locked phone",
            lambda v: "GET /v1/mailbox -> 200 with a reply (locked)" in shell.http_log, 90)
        self.assertIn("POST /v1/submissions -> 201 (locked)", shell.http_log)
        shell.expect_screen("Unlock")
        self.assertNotIn("We received your report", repr(shell.view))
        shell.dispatch({"Unlock": {"pin": PIN}})
        shell.expect_screen("Home")
        shell.dispatch("OpenOutbox")
        seen_states = set()

        def replied(view: Dict[str, Any]) -> bool:
            if "Outbox" not in view["screen"]:
                return False
            items = [i for i in view["screen"]["Outbox"]["items"] if i["report_id"]]
            seen_states.update(i["state"] for i in items)
            return len(items) == 1 and items[0]["state"] == "Replied"

        view = shell.view
        self.assertTrue(replied(view), f"the reply that arrived while locked opens at unlock: {view}")
        item = view["screen"]["Outbox"]["items"][0]
        self.assertEqual(item["replies"], 1)
        self.assertTrue(seen_states <= {"Waiting", "Sending", "Sent", "Delivered",
                                        "Acknowledged", "Replied"}, seen_states)
        self.assertEqual(
            [line for line in shell.http_log if line.startswith("POST /v1/submissions -> 20")],
            ["POST /v1/submissions -> 201 (locked)"], "sent once, while locked")

        # The reply, opened on the phone with the report's reply key.
        shell.dispatch({"OpenReport": {"report_id": item["report_id"]}})
        report = shell.screen_data("Report")
        self.assertEqual(len(report["messages"]), 1)
        message = report["messages"][0]
        self.assertEqual(message["text"], f"We received your report about {RECRUITER}.")
        self.assertEqual(message["from"], self.union_name)
        self.assertEqual(message["language"], "en")
        self.assertTrue(any(self.union_name in s for s in report["statuses"]), report["statuses"])
        self.assertGreaterEqual(len(report["statuses"]), 2, report["statuses"])

        # Lock; a wrong PIN costs an attempt; the right one opens the same outbox.
        shell.dispatch("Lock")
        shell.expect_screen("Unlock")
        shell.dispatch({"Unlock": {"pin": "000000"}})
        unlock = shell.screen_data("Unlock")
        self.assertIsNotNone(unlock["error"])
        self.assertEqual(unlock["attempts_left"], 4)
        shell.dispatch({"Unlock": {"pin": PIN}})
        shell.wait_for("the home screen after unlocking", lambda v: "Home" in v["screen"], 30)
        shell.dispatch("OpenOutbox")
        items = [i for i in shell.screen_data("Outbox")["items"] if i["report_id"]]
        self.assertEqual([i["report_id"] for i in items], [item["report_id"]])
        self.assertEqual(items[0]["state"], "Replied")

        # Wiping the app: the vault goes, and the core asks the shell, once, to forget the
        # platform secret (the shell no longer infers it from the welcome screen).
        self.assertEqual(shell.platform, [])
        shell.dispatch("OpenSettings")
        shell.dispatch("AskWipe")
        shell.dispatch("ConfirmWipe")
        shell.wait_for("the welcome screen after the wipe", lambda v: "Welcome" in v["screen"], 30)
        self.assertEqual(shell.platform, ["ForgetPlatformSecret"])


def main() -> int:
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(FirstReportScenario)
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    failed = len(result.failures) + len(result.errors)
    print(f"python-bindings: {result.testsRun - failed} passed, {failed} failed")
    return 0 if result.wasSuccessful() and result.testsRun > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
