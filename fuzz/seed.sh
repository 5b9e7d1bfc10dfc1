#!/bin/sh
# Builds the fuzz targets' seed corpora under fuzz/corpus/ from the shared conformance corpus
# (../../shared/corpus, never copied into git) and the policies in ../config:
#   parse_set_cookie  one file per case, the first byte selecting a secure request URL
#                     (see fuzz_targets/parse_set_cookie.rs);
#   decide            `[selector] url \n cookie-header \n set-cookie...` (see checks/decide.rs): every
#                     case under each policy variant, plus every rule of config/fora.toml set well,
#                     badly and out of scope on each scope's host;
#   policy_load       the policies of config/ and crates/*/tests, and truncations of them.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cases="$here/../../shared/corpus/set-cookie-cases.jsonl"
python3 - "$cases" "$here" <<'PY'
import hashlib, json, os, sys, tomllib
cases_path, here = sys.argv[1], sys.argv[2]
root = os.path.dirname(here)
corpus = os.path.join(here, "corpus")

def write(target, data):
    out = os.path.join(corpus, target)
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)

cases = []
for line in open(cases_path, encoding="utf-8"):
    if line.strip():
        cases.append(json.loads(line))

headers = []
for case in cases:
    header = bytes.fromhex(case["set_cookie_hex"]) if case.get("set_cookie_hex") else case["set_cookie"].encode()
    headers.append(header)
    secure = case["context"]["request_uri"].startswith("https")
    write("parse_set_cookie", bytes([1 if secure else 0]) + header)
    for variant in range(4):
        write("decide", bytes([variant]) + case["context"]["request_uri"].encode() + b"\n\n" + header)

fora = tomllib.load(open(os.path.join(root, "config", "fora.toml"), "rb"))
scopes = {s["id"]: s for s in fora["scope"]}
names = [rule["name"].replace("*", "x").replace("{client_id}", "abc").replace("{organization}", "org")
         for rule in fora["cookie"]]
for scope in scopes.values():
    for host in scope["hosts"]:
        for path in scope["paths"]:
            url = f"https://{host}{path}/page".replace("//page", "/page").encode()
            cookie = "; ".join(f"{n}=v" for n in names).encode() + b"; stranger=1"
            lines = []
            for n in names:
                n = n.encode()
                lines += [n + b"=v; Secure; HttpOnly; SameSite=Lax; Path=/",
                          n + b"=v",
                          n + b"=v; Max-Age=99999999; Domain=fora.se",
                          n + b"=; Max-Age=0",
                          n + b"=v; Expires=Wed, 21 Oct 2015 07:28:00 GMT; Max-Age=abc"]
            for variant in range(8):
                write("decide", bytes([variant | (4 if variant & 1 else 0)]) + url + b"\n" + cookie + b"\n" + b"\n".join(lines))
                for i in range(0, len(lines), 5):
                    write("decide", bytes([variant]) + url + b"\n" + cookie + b"\n" + b"\n".join(lines[i:i + 5]))
            write("decide", bytes([3]) + url + b"\naccepted_cookies=necessary,statistics; ai_user=1\nai_user=v; Secure; HttpOnly; Max-Age=600")

policies = []
for folder in [os.path.join(root, "config")] + [os.path.join(root, "crates", c, "tests") for c in os.listdir(os.path.join(root, "crates"))]:
    if os.path.isdir(folder):
        policies += [os.path.join(folder, f) for f in sorted(os.listdir(folder)) if f.endswith(".toml")]
for path in policies:
    text = open(path, "rb").read()
    write("policy_load", text)
    for cut in range(200, len(text), max(len(text) // 16, 200)):
        write("policy_load", text[:cut])

for target in sorted(os.listdir(corpus)):
    print(f"seeded {len(os.listdir(os.path.join(corpus, target)))} inputs into fuzz/corpus/{target}")
PY
