"""SMS out: a folder provider for the demo (one JSON file per message) and an Alibaba Cloud SMS client.

Alibaba Cloud ``SendSms`` (API version 2017-05-25) is an RPC-style call signed with signature version
1.0 (HMAC-SHA1), written here from its public documentation:

1. every parameter but ``Signature`` — common ones (AccessKeyId, Action, Format, RegionId,
   SignatureMethod, SignatureNonce, SignatureVersion, Timestamp, Version) and SendSms's own
   (PhoneNumbers, SignName, TemplateCode, TemplateParam as JSON, OutId) — sorted by name;
2. names and values percent-encoded per RFC 3986 (UTF-8; unreserved ``A-Z a-z 0-9 - _ . ~`` kept,
   space as %20, ``*`` as %2A, ``~`` kept) and joined as ``k=v`` with ``&``;
3. StringToSign = ``POST&%2F&`` + percentEncode(that string);
4. Signature = Base64(HMAC-SHA1(key = AccessKeySecret + "&", StringToSign)).

SMS go out on approved templates only: a message must carry the provider's template code; its
parameters are the template's named values. ``OutId`` is the outbox row's stable request id.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from ..services.ports import DeliveryError, Sms

API_VERSION = "2017-05-25"


def percent_encode(s: str) -> str:
    return urllib.parse.quote(s, safe="-_.~", encoding="utf-8")


def string_to_sign(params: dict[str, str], method: str = "POST") -> str:
    canonical = "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items()))
    return f"{method}&{percent_encode('/')}&{percent_encode(canonical)}"


def sign(params: dict[str, str], secret: str, method: str = "POST") -> str:
    digest = hmac.new((secret + "&").encode(), string_to_sign(params, method).encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class FileSms:
    """Writes each SMS to ``<folder>/<request id>.json`` (the demo's stand-in for a provider)."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    def send(self, sms: Sms) -> str:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{sms.request_id}.json"
        path.write_text(json.dumps({"to": sms.phone, "text": sms.text, "template_code": sms.template_code,
                                    "params": dict(sms.params), "request_id": sms.request_id},
                                   ensure_ascii=False, indent=2), encoding="utf-8")
        return f"file:{path.name}"


class AliyunSms:
    def __init__(self, access_key_id: str, access_key_secret: str, sign_name: str,
                 endpoint: str = "https://dysmsapi.aliyuncs.com/", region: str = "cn-hangzhou", timeout: float = 15.0,
                 *, now: Callable[[], datetime], nonce: Callable[[], str] | None = None) -> None:
        self.key_id, self._secret, self.sign_name = access_key_id, access_key_secret, sign_name
        self.endpoint, self.region, self.timeout = endpoint, region, timeout
        self._now = now  # the Clock port's now: the request's Timestamp
        self._nonce = nonce or (lambda: uuid.uuid4().hex)

    def __repr__(self) -> str:
        return f"AliyunSms({self.endpoint}, key={self.key_id})"

    def params(self, sms: Sms) -> dict[str, str]:
        if not sms.template_code:
            raise DeliveryError("sms.no_template_code", "SMS go out on an approved template only", permanent=True)
        p = {
            "AccessKeyId": self.key_id, "Action": "SendSms", "Format": "JSON", "RegionId": self.region,
            "SignatureMethod": "HMAC-SHA1", "SignatureNonce": self._nonce(), "SignatureVersion": "1.0",
            "Timestamp": self._now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "Version": API_VERSION,
            "PhoneNumbers": sms.phone, "SignName": self.sign_name, "TemplateCode": sms.template_code,
            "TemplateParam": json.dumps(dict(sms.params), ensure_ascii=False, separators=(",", ":")),
            "OutId": sms.request_id,
        }
        p["Signature"] = sign(p, self._secret)
        return p

    def send(self, sms: Sms) -> str:
        body = urllib.parse.urlencode(self.params(sms), quote_via=urllib.parse.quote).encode()
        req = urllib.request.Request(self.endpoint, data=body, method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as r:  # noqa: S310 — https endpoint from settings
                reply = json.loads(r.read().decode("utf-8"))
        except urllib.error.HTTPError as e:
            try:
                reply = json.loads(e.read().decode("utf-8"))
            except ValueError:
                raise DeliveryError("sms.http", f"HTTP {e.code}", permanent=400 <= e.code < 500 and e.code != 429) from e
        except (OSError, ValueError) as e:
            raise DeliveryError("sms.unavailable", f"{type(e).__name__}: {e}") from e
        code = str(reply.get("Code", ""))
        if code == "OK":
            return str(reply.get("BizId") or reply.get("RequestId") or "")
        transient = code in ("isv.BUSINESS_LIMIT_CONTROL", "Throttling", "ServiceUnavailable", "InternalError")
        raise DeliveryError(f"sms.{code or 'error'}", str(reply.get("Message", ""))[:500], permanent=not transient)
