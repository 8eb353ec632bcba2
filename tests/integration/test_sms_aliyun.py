"""The Alibaba Cloud SendSms client against a local fake endpoint that checks the signature the way
the API documents it (written again here, independently of the client), and the provider's answers."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import urllib.parse
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from huikuan.adapters.sms import AliyunSms
from huikuan.services.ports import DeliveryError, Sms

KEY_ID, SECRET = "LTAI-test-id", "test-secret-不是真的"


def _enc(s: str) -> str:
    return urllib.parse.quote(s, safe="").replace("+", "%20").replace("*", "%2A").replace("%7E", "~")


def expected_signature(params: dict[str, str], secret: str) -> str:
    canonical = "&".join(f"{_enc(k)}={_enc(params[k])}" for k in sorted(params) if k != "Signature")
    to_sign = "POST&" + _enc("/") + "&" + _enc(canonical)
    return base64.b64encode(hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()).decode()


class FakeAliyun(BaseHTTPRequestHandler):
    received: list[dict[str, str]] = []
    answer: dict[str, str] = {"Code": "OK", "BizId": "900619746936498440^0", "RequestId": "F655A8D5"}

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        params = dict(urllib.parse.parse_qsl(body, keep_blank_values=True))
        type(self).received.append(params)
        ok = params.get("Signature") == expected_signature(params, SECRET)
        reply = type(self).answer if ok else {"Code": "SignatureDoesNotMatch", "Message": "bad signature"}
        data = json.dumps(reply).encode()
        self.send_response(200 if ok else 400)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def endpoint():
    FakeAliyun.received = []
    FakeAliyun.answer = {"Code": "OK", "BizId": "900619746936498440^0", "RequestId": "F655A8D5"}
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeAliyun)
    th = threading.Thread(target=server.serve_forever, daemon=True)
    th.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def client(endpoint: str, secret: str = SECRET) -> AliyunSms:
    return AliyunSms(KEY_ID, secret, "演示贸易", endpoint, now=lambda: datetime(2026, 11, 27, 7, 30, tzinfo=UTC))


SMS = Sms("req-42", "13800005678", "【演示贸易】……", "SMS_PRE_DUE_BILL",
          (("amount", "¥24,691.34"), ("customer", "成都蓉信商贸有限公司"), ("due_on", "2026-12-01")))


def test_signed_request_accepted_with_the_documented_parameters(endpoint):
    assert client(endpoint).send(SMS) == "900619746936498440^0"
    p = FakeAliyun.received[0]
    assert p["Action"] == "SendSms" and p["Version"] == "2017-05-25" and p["SignatureMethod"] == "HMAC-SHA1"
    assert p["SignatureVersion"] == "1.0" and p["Timestamp"] == "2026-11-27T07:30:00Z"
    assert p["PhoneNumbers"] == "13800005678" and p["SignName"] == "演示贸易" and p["OutId"] == "req-42"
    assert json.loads(p["TemplateParam"]) == {"amount": "¥24,691.34", "customer": "成都蓉信商贸有限公司",
                                              "due_on": "2026-12-01"}
    assert p["AccessKeyId"] == KEY_ID and len(p["SignatureNonce"]) >= 16


def test_a_wrong_secret_is_refused_by_the_signature_check(endpoint):
    with pytest.raises(DeliveryError) as e:
        client(endpoint, "wrong").send(SMS)
    assert e.value.code == "sms.SignatureDoesNotMatch" and e.value.permanent


@pytest.mark.parametrize(("code", "permanent"), [("isv.MOBILE_NUMBER_ILLEGAL", True), ("Throttling", False),
                                                 ("isv.BUSINESS_LIMIT_CONTROL", False)])
def test_provider_refusals_are_classified(endpoint, code, permanent):
    FakeAliyun.answer = {"Code": code, "Message": "refused"}
    with pytest.raises(DeliveryError) as e:
        client(endpoint).send(SMS)
    assert e.value.code == f"sms.{code}" and e.value.permanent is permanent


def test_only_approved_templates_and_a_provider_down_is_transient(endpoint):
    with pytest.raises(DeliveryError) as e:
        client(endpoint).send(Sms("r", "13800005678", "free text", None))
    assert e.value.permanent and not FakeAliyun.received
    with pytest.raises(DeliveryError) as e:
        client("http://127.0.0.1:9/").send(SMS)
    assert not e.value.permanent
