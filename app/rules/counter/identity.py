"""Applicant identity documents."""

from app.rules.errors import refuse

ID_TYPES = ("居民身份证", "统一社会信用代码", "护照", "港澳居民来往内地通行证", "其他")

_RESIDENT_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_RESIDENT_CHECK = "10X98765432"
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def normalize_id(id_type: object, number: object) -> tuple[str, str]:
    """Validate the ID number for its type (GB 11643 and GB 32100 check characters)."""
    if id_type not in ID_TYPES:
        raise refuse("applicant.id_type", "请选择证件类型")
    number = number.strip().upper() if isinstance(number, str) else ""
    if not number or len(number) > 40:
        raise refuse("applicant.id_missing", "请填写证件号码")
    if id_type == "居民身份证":
        if len(number) != 18 or not number[:17].isdigit():
            raise refuse("applicant.id_invalid", "居民身份证号码应为 18 位（前 17 位为数字，末位为数字或 X）")
        if _RESIDENT_CHECK[sum(int(c) * w for c, w in zip(number, _RESIDENT_WEIGHTS)) % 11] != number[17]:
            raise refuse("applicant.id_invalid", "居民身份证号码有误（校验位不符）")
    elif id_type == "统一社会信用代码":
        if len(number) != 18 or not all(c in _USCC_CHARS for c in number):
            raise refuse("applicant.id_invalid", "统一社会信用代码应为 18 位数字或大写字母（不含 I、O、S、V、Z）")
        total = sum(_USCC_CHARS.index(c) * w for c, w in zip(number, _USCC_WEIGHTS))
        if _USCC_CHARS[(31 - total % 31) % 31] != number[17]:
            raise refuse("applicant.id_invalid", "统一社会信用代码有误（校验位不符）")
    return id_type, number
