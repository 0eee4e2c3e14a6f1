"""Reading a local file in the browser and handing its bytes to a handler, without Reflex's
upload route (whose folder is served publicly): the file travels base64 over the socket."""

import base64
import json

MAX_BYTES = 700_000  # the socket caps a message at 1,000,000 bytes; base64 adds a third


def read_file_script(input_id: str) -> str:
    return """(async () => {
  const input = document.getElementById(%s);
  const file = input && input.files && input.files[0];
  if (!file) { return {ok: false, error: "NoFile"}; }
  if (file.size > %d) { return {ok: false, error: "TooLarge"}; }
  const buffer = new Uint8Array(await file.arrayBuffer());
  let binary = "";
  for (let i = 0; i < buffer.length; i += 0x8000) {
    binary += String.fromCharCode.apply(null, buffer.subarray(i, i + 0x8000));
  }
  return {ok: true, name: file.name, data: btoa(binary)};
})()""" % (json.dumps(input_id), MAX_BYTES)


def file_bytes(result: object) -> tuple[bytes | None, str]:
    """(bytes, '') or (None, a Chinese message)."""
    if not isinstance(result, dict) or result.get("ok") is not True or not isinstance(result.get("data"), str):
        error = result.get("error") if isinstance(result, dict) else None
        return None, {"NoFile": "请先选择文件", "TooLarge": "文件过大（不超过 700 KB）"}.get(error, "读取文件失败")
    try:
        return base64.b64decode(result["data"], validate=True), ""
    except ValueError:
        return None, "读取文件失败"
