"""Demo data: for every brand, customers with lines in every blocker situation.

Deterministic (the same file every time), written in the import format, and loaded through the
importer — so ``simexit demo load`` also exercises the import path. Loading twice changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

from simexit.domain.identifiers import cn_resident_id_check_char, eid_with_check_digits, luhn_check_digit
from simexit.services.access.caller import System
from simexit.services.context import Simexit
from simexit.services.imports import commands as imports
from simexit.services.imports.views import ImportReport
from simexit.store import import_repo

SITUATIONS = ("clean", "arrears", "contract", "services", "devices", "port_out", "sim_change", "unverified")

# brand -> (number prefix in E.164, digits to fill, kind, payment, ID type, names)
_BRANDS: dict[str, dict[str, Any]] = {
    "roamly": {"prefix": "+1202555", "width": 4, "base": 100, "kind": "esim", "payment": "prepaid",
               "id_type": "passport", "plan": "Roamly Travel 10 GB", "etf": 2500, "currency": "USD"},
    "globetalk": {"prefix": "+4915112", "width": 6, "base": 340000, "kind": "esim", "payment": "prepaid",
                  "id_type": "passport", "plan": "GlobeTalk World 20", "etf": 4800, "currency": "EUR"},
    "baohao": {"prefix": "+86138", "width": 8, "base": 200100, "kind": "esim", "payment": "prepaid",
               "id_type": "cn_resident_id", "plan": "保号套餐 8元/月", "etf": 3000, "currency": "CNY"},
    "liuliang": {"prefix": "+86139", "width": 8, "base": 300100, "kind": "data", "payment": "prepaid",
                 "id_type": "cn_resident_id", "plan": "流量卡 100GB/月", "etf": 5000, "currency": "CNY"},
    "hansanet": {"prefix": "+4917612", "width": 6, "base": 345000, "kind": "esim", "payment": "postpaid",
                 "id_type": "passport", "plan": "HansaNet Flex M", "etf": 12000, "currency": "EUR"},
    "huaxin": {"prefix": "+86186", "width": 8, "base": 400100, "kind": "sim", "payment": "postpaid",
               "id_type": "cn_resident_id", "plan": "4G 畅享套餐 58元", "etf": 20000, "currency": "CNY"},
}
_NAMES_CN = ("王芳", "李娜", "张伟", "刘洋", "陈静", "杨磊", "赵敏", "黄强", "周杰")
_NAMES_EN = ("Anna Schmidt", "Ben Carter", "Chloe Martin", "David Kim", "Emma Weber", "Felix Braun",
             "Grace Lee", "Hannah Fischer", "Ivan Petrov")


def demo_brands() -> list[str]:
    return list(_BRANDS)


def demo_msisdn(brand: str, situation: str) -> str:
    b = _BRANDS[brand]
    return f"{b['prefix']}{b['base'] + SITUATIONS.index(situation):0{b['width']}d}"


def _iccid(seed: int) -> str:
    body = f"89860{seed:013d}"  # 18 digits, then the Luhn digit
    return body + luhn_check_digit(body)


def _cn_id(seed: int) -> str:
    first17 = f"110105{1980 + seed % 30}{1 + seed % 12:02d}{1 + seed % 28:02d}{seed % 1000:03d}"
    return first17 + cn_resident_id_check_char(first17)


def _imei(seed: int) -> str:
    body = f"35{seed:012d}"
    return body + luhn_check_digit(body)


def demo_id_number(brand: str, situation: str) -> str:
    seed = list(_BRANDS).index(brand) * 100 + SITUATIONS.index(situation)
    if _BRANDS[brand]["id_type"] == "cn_resident_id":
        return _cn_id(seed)
    return f"C{seed:07d}X"


def demo_records(today: date) -> Iterator[dict[str, Any]]:
    now = datetime.combine(today, datetime.min.time(), UTC)
    for bi, (brand, b) in enumerate(_BRANDS.items()):
        cn = b["id_type"] == "cn_resident_id"
        for si, situation in enumerate(SITUATIONS):
            seed = bi * 100 + si
            ref = f"demo-{situation}"
            msisdn = demo_msisdn(brand, situation)
            name = (_NAMES_CN if cn else _NAMES_EN)[si % 9]
            yield {"type": "customer", "brand": brand, "ref": ref, "name": name, "id_type": b["id_type"],
                   "id_number": demo_id_number(brand, situation),
                   "email": f"{ref}.{brand}@example.com",
                   "locale": "zh-CN" if cn else "de" if b["prefix"].startswith("+49") else "en",
                   "identity_verified": situation != "unverified"}
            line: dict[str, Any] = {
                "type": "line", "brand": brand, "customer": ref, "msisdn": msisdn, "iccid": _iccid(seed),
                "imsi": f"46000{seed:010d}" if cn else f"31026{seed:010d}", "kind": b["kind"],
                "payment": b["payment"], "plan": b["plan"], "number_keeping": brand == "baohao",
                "activated_at": (now - timedelta(days=400)).isoformat(),
            }
            if situation == "contract":
                line |= {"contract_start": (today - timedelta(days=180)).isoformat(),
                         "contract_end": (today + timedelta(days=185)).isoformat(),
                         "early_termination_fee_minor": b["etf"]}
            if situation == "port_out":
                line["port_out_pending"] = True
            if situation == "sim_change":
                line["last_sim_change_at"] = (now - timedelta(days=2)).isoformat()
            yield line
            yield {"type": "balance", "msisdn": msisdn, "amount_minor": 3000 + 125 * si, "currency": b["currency"],
                   "kind": "opening", "at": (now - timedelta(days=30)).isoformat()}
            yield {"type": "bill", "msisdn": msisdn, "period_start": (today - timedelta(days=61)).isoformat(),
                   "period_end": (today - timedelta(days=31)).isoformat(), "amount_minor": 5800,
                   "currency": b["currency"], "due_date": (today - timedelta(days=21)).isoformat(),
                   "paid_at": (now - timedelta(days=25)).isoformat()}
            if situation == "arrears":
                yield {"type": "bill", "msisdn": msisdn, "period_start": (today - timedelta(days=30)).isoformat(),
                       "period_end": today.isoformat(), "amount_minor": 5800 + 35 * bi,
                       "currency": b["currency"], "due_date": (today - timedelta(days=3)).isoformat()}
            if situation == "services":
                for svc in (("支付宝 Alipay", "微信 WeChat", "招商银行 CMB") if cn else ("PayPal", "WhatsApp")):
                    yield {"type": "binding", "msisdn": msisdn, "service": svc,
                           "since": (today - timedelta(days=300)).isoformat()}
            if b["kind"] == "esim":
                eid = eid_with_check_digits(f"890490320000000000{seed:012d}")
                yield {"type": "esim_profile", "msisdn": msisdn, "iccid": _iccid(seed + 5000), "eid": eid,
                       "state": "Installed"}
                if situation == "devices":
                    yield {"type": "device", "msisdn": msisdn, "name": "iPhone 15", "imei": _imei(seed), "eid": eid}
                    yield {"type": "device", "msisdn": msisdn, "name": "iPad Air", "imei": _imei(seed + 1)}
            elif situation == "devices":
                yield {"type": "device", "msisdn": msisdn, "name": "Huawei Mate 60", "imei": _imei(seed)}
            for k in range(3):
                yield {"type": "usage", "msisdn": msisdn, "kind": ("call", "sms", "data")[k],
                       "started_at": (now - timedelta(days=k + 1, hours=3)).isoformat(),
                       "direction": "out", "duration_s": 120 if k == 0 else None,
                       "volume_bytes": 52_428_800 if k == 2 else None}


# Demo staff accounts, one per role, all brands. Demo only: the password is public.
DEMO_STAFF_PASSWORD = "simexit-demo-2026"
DEMO_STAFF = (("agent", "agent"), ("clerk", "store_clerk"), ("reviewer", "reviewer"),
              ("supervisor", "supervisor"), ("admin", "admin"))


def load_demo(app: Simexit) -> ImportReport | None:
    """Load the demo data unless it is there already (idempotent). Returns None when it was."""
    from simexit.services.access.commands import create_staff

    with app.db.read() as conn:
        if import_repo.customer_ref_exists(conn, "demo-clean"):
            return None
    today = app.clock.now().date()
    report = imports.import_jsonl(app, System(), (json.dumps(r, ensure_ascii=False) for r in demo_records(today)))
    for username, role in DEMO_STAFF:
        create_staff(app, System(), username, DEMO_STAFF_PASSWORD, role, ["*"],
                     display_name=f"Demo {role.replace('_', ' ')}")
    return ImportReport({**report.counts, "staff": len(DEMO_STAFF)})
