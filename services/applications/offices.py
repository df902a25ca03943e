"""Employment offices (公共職業安定所) that issue referral letters: office code → name.

A small committed table; a code that is not in it still gets a letter, issued in the generic
name of the office with that code.
"""

from __future__ import annotations

OFFICES: dict[str, str] = {
    "01010": "ハローワーク札幌",
    "04010": "ハローワーク仙台",
    "11010": "ハローワーク川口",
    "12010": "ハローワーク千葉",
    "13010": "ハローワーク飯田橋",
    "13020": "ハローワーク上野",
    "13030": "ハローワーク品川",
    "13040": "ハローワーク大森",
    "13050": "ハローワーク渋谷",
    "13060": "ハローワーク新宿",
    "14010": "ハローワーク横浜",
    "23010": "ハローワーク名古屋中",
    "26010": "ハローワーク京都西陣",
    "27010": "ハローワーク大阪東",
    "27020": "ハローワーク梅田",
    "28010": "ハローワーク神戸",
    "34010": "ハローワーク広島",
    "40010": "ハローワーク福岡中央",
    "47010": "ハローワーク那覇",
}


def office_name(code: str) -> str:
    return OFFICES.get(code) or f"公共職業安定所（所番号 {code}）"
