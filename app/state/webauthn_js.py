"""Browser side of the WebAuthn ceremonies, for rx.call_script.

The script never throws (a rejected promise would leave the callback unfired, notes/reflex-0.10.md
§4): it resolves to {ok, response} or {ok: false, error}. Options are server-made JSON."""

import json

_TEMPLATE = """(async () => {
  try {
    const options = %s;
    if (!window.PublicKeyCredential) { return {ok: false, error: "NotSupportedError"}; }
    const cred = await navigator.credentials.%s({publicKey: PublicKeyCredential.%s(options)});
    return {ok: true, response: cred.toJSON()};
  } catch (e) {
    return {ok: false, error: String((e && e.name) || e)};
  }
})()"""

BROWSER_ERRORS = {
    "NotAllowedError": "密钥操作被取消或超时，请重试",
    "InvalidStateError": "该密钥已登记过",
    "NotSupportedError": "此浏览器不支持安全密钥",
    "SecurityError": "当前网址与系统配置的地址不符",
}


def get_script(options_json: str) -> str:
    json.loads(options_json)  # only server-made JSON goes into the script
    return _TEMPLATE % (options_json, "get", "parseRequestOptionsFromJSON")


def create_script(options_json: str) -> str:
    json.loads(options_json)
    return _TEMPLATE % (options_json, "create", "parseCreationOptionsFromJSON")


def browser_error(result: object) -> str | None:
    """None when the browser returned a credential, else a Chinese message."""
    if isinstance(result, dict) and result.get("ok") is True and isinstance(result.get("response"), dict):
        return None
    name = result.get("error") if isinstance(result, dict) else None
    return BROWSER_ERRORS.get(name, f"安全密钥操作失败（{name}）" if isinstance(name, str) else "安全密钥操作失败")


def bind_session_script(ticket: str, home: str) -> str:
    """Trade the one-time ticket for the session's HttpOnly cookie, then load the home page anew so
    the socket reconnects carrying the cookie. Resolves {ok} and never throws."""
    return """(async () => {
  try {
    const r = await fetch("/api/session", {method: "POST", body: %s, credentials: "same-origin",
                                           headers: {"Content-Type": "text/plain"}});
    if (r.status !== 204) { return {ok: false, error: "BindRefused"}; }
    window.location.assign(%s);
    return {ok: true};
  } catch (e) {
    return {ok: false, error: String((e && e.name) || e)};
  }
})()""" % (json.dumps(ticket), json.dumps(home))
