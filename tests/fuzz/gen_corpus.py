#!/usr/bin/env python3
"""Regenerates the seed corpora of tests/fuzz/corpus/<harness>/ from the
repository's own test data (tests/data/body, db/demo/integrations) and
hand-written cases. Deterministic: running it again gives the same files.
Each file is named after what it covers; every file is < 4 KB and there
are at most 60 per harness.

    python3 tests/fuzz/gen_corpus.py
"""
import base64
import hashlib
import json
import os
import shutil
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.normpath(os.path.join(HERE, "..", ".."))
CORPUS = os.path.join(HERE, "corpus")
BODY = os.path.join(TOP, "tests", "data", "body")
DEMO = os.path.join(TOP, "db", "demo", "integrations")
MAX_FILES = 60
MAX_SIZE = 4096

ID_A = "3fda2b4c-0516-41bc-8ae6-4927e42ecce9"
ID_B = "4a4de828-f4db-4c9e-adfd-434e0864c3c7"
ID_C = "0f9c3a52-6b1e-4d7a-9c2f-8e5b1a7d3c60"


def cursor(created_us, id_hex):
    """app/api/cursor.h: base64url(1 | created_us BE64 | id | sha256[:4])."""
    raw = b"\x01" + struct.pack(">q", created_us) + bytes.fromhex(id_hex.replace("-", ""))
    raw += hashlib.sha256(raw).digest()[:4]
    assert len(raw) == 29
    text = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    assert len(text) == 39
    return text


CUR_1 = cursor(1628589600123000, ID_A)          # 2021-08-10T10:00:00.123Z
CUR_2 = cursor(0, ID_B)                          # the epoch
CUR_3 = cursor(-30610224000 * 1000000, ID_C)     # 1000-01-01, DATETIME's first
CUR_4 = cursor(253402300799999999, ID_A)         # 9999-12-31T23:59:59.999999Z
CUR_OUT = cursor(253402300800 * 1000000, ID_B)   # year 10000: decodes, out of range


def write(harness, name, data):
    if isinstance(data, str):
        data = data.encode()
    assert len(data) < MAX_SIZE, (harness, name, len(data))
    d = os.path.join(CORPUS, harness)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def filter_corpus():
    qs = {
        "empty": "",
        "ampersands": "&&&",
        "limit": "limit=7",
        "limit_clamped": "limit=99999999999999999999",
        "limit_zeros": "limit=007",
        "limit_bad": "limit=1e3",
        "limit_twice": "limit=5&limit=6",
        "cursor": "next_cursor=" + CUR_1 + "&limit=2",
        "cursor_epoch": "next_cursor=" + CUR_2,
        "cursor_min": "next_cursor=" + CUR_3,
        "cursor_max": "next_cursor=" + CUR_4,
        "cursor_out_of_range": "next_cursor=" + CUR_OUT,
        "cursor_empty": "next_cursor=",
        "cursor_junk": "next_cursor=abc",
        "cursor_twice": "next_cursor=&next_cursor=" + CUR_2,
        "id_eq": "id=" + ID_A,
        "id_ne": "id[ne]=" + ID_A,
        "id_in_comma": "id[in]=%s,%s" % (ID_A, ID_B),
        "id_in_brackets": "id[in][]=%s&id[in][]=%s" % (ID_A, ID_B),
        "id_in_indices": "id[in][0]=%s&id[in][1]=%s" % (ID_A, ID_B),
        "id_in_pct": "id%%5Bin%%5D%%5B0%%5D=%s&id%%5Bin%%5D%%5B1%%5D=%s" % (ID_A, ID_B),
        "id_in_pct_comma": "id%%5Bin%%5D=%s%%2C%s" % (ID_A, ID_B),
        "id_in_mixed": "id[in]=%s&id[in][]=%s" % (ID_A, ID_B),
        "integration_id_nin": "integration_id[nin]=%s,%s" % (ID_A, ID_C),
        "environment_id_eq_upper": "environment_id[eq]=" + ID_B.upper(),
        "bools": "is_enabled=true&show_in_catalog=false",
        "bool_ne": "is_enabled[ne]=true&show_in_catalog[ne]=false",
        "bool_gt": "is_enabled[gt]=true",
        "name_plus": "integration.name=My+Name",
        "name_brackets_ne": "integration[name][ne]=x",
        "category_pct": "integration%5Bcategory%5D=crm",
        "category_in": "integration.category[in]=crm,hris,,ticketing",
        "name_nin_utf8": "integration[name][nin][]=caf%C3%A9&integration[name][nin][]=%F0%9F%98%80",
        "name_bad_utf8": "integration.name=%ff",
        "name_bad_pct": "integration.name=%zz",
        "created_gte_offset": "created_at[gte]=2021-08-10T12:00:00.123%2B02:00",
        "created_offset_space": "created_at[gt]=2021-08-10T12:00:00+02:00",
        "updated_lt_date": "updated_at[lt]=2021-08-10",
        "updated_lte_frac": "updated_at[lte]=2021-08-10t10:00:00.123456z",
        "created_in": "created_at[in]=2021-08-10,2021-08-11T00:00Z",
        "created_nin_neg": "created_at[nin][]=1000-01-01T00:00:00-01:00",
        "created_feb30": "created_at=2021-02-30T00:00:00Z",
        "created_no_zone": "created_at=2021-08-10T10:00:00",
        "unknown_param": "bogus=1",
        "unknown_op": "id[like]=x",
        "array_on_eq": "id[eq][]=" + ID_A,
        "array_bad_index": "id[in][x]=" + ID_A,
        "unterminated_op": "id[in",
        "empty_key": "=1",
        "no_value": "is_enabled",
        "everything": ("id[in]=%s&integration_id=%s&environment_id[ne]=%s&show_in_catalog=true"
                       "&is_enabled[ne]=false&integration.name[in]=a,b&integration[category]=crm"
                       "&created_at[gte]=2020-01-01&updated_at[lt]=2030-01-01T00:00:00Z"
                       "&limit=50&next_cursor=%s") % (ID_A, ID_B, ID_C, CUR_1),
    }
    many = "&".join("is_enabled=true" for _ in range(64))
    qs["params_64"] = many
    qs["params_65"] = many + "&is_enabled=false"
    qs["values_100"] = "integration.name[in]=" + ",".join("n%d" % i for i in range(100))
    qs["values_101"] = "integration.name[in]=" + ",".join("n%d" % i for i in range(101))
    for name, q in qs.items():
        write("fuzz_filter", name, q)


def cursor_corpus():
    for i, c in enumerate([CUR_1, CUR_2, CUR_3, CUR_4, CUR_OUT]):
        write("fuzz_cursor", "real_%d" % i, c)
    write("fuzz_cursor", "real_max_id", cursor(-1, "ff" * 16))
    write("fuzz_cursor", "real_min", cursor(-(2 ** 63), "00" * 16))
    bad_ver = bytearray(base64.urlsafe_b64decode(CUR_1 + "="))
    bad_ver[0] = 2
    bad_ver[25:29] = hashlib.sha256(bytes(bad_ver[:25])).digest()[:4]
    write("fuzz_cursor", "version_2",
          base64.urlsafe_b64encode(bytes(bad_ver)).rstrip(b"="))
    write("fuzz_cursor", "bad_check", CUR_1[:10] + ("A" if CUR_1[10] != "A" else "B") + CUR_1[11:])
    write("fuzz_cursor", "short", CUR_1[:-1])
    write("fuzz_cursor", "long", CUR_1 + "A")
    write("fuzz_cursor", "padded", CUR_1 + "=")
    write("fuzz_cursor", "std_alphabet", CUR_1.replace("-", "+").replace("_", "/"))
    # the last character carries 2 spare bits: a non-canonical spelling
    last = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    idx = last.index(CUR_1[-1])
    write("fuzz_cursor", "spare_bits", CUR_1[:-1] + last[idx | 1])
    write("fuzz_cursor", "junk_bang", "!!")
    write("fuzz_cursor", "junk_nul", b"\x00" * 39)
    write("fuzz_cursor", "empty", b"")
    write("fuzz_cursor", "binary_value", bytes(range(24)) + bytes(range(200, 215)))


def override_text(body_text):
    """The "override" member's value, byte for byte as the body spells it."""
    dec = json.JSONDecoder()
    key = body_text.find('"override"')
    if key < 0:
        return None
    i = key + len('"override"')
    while body_text[i] in " \t\r\n":
        i += 1
    if body_text[i] != ":":
        return None
    i += 1
    while body_text[i] in " \t\r\n":
        i += 1
    _, end = dec.raw_decode(body_text, i)
    return body_text[i:end]


def body_corpus():
    names = []
    pass_dir = os.path.join(BODY, "pass")
    fail_dir = os.path.join(BODY, "fail")
    passes = sorted(f for f in os.listdir(pass_dir) if f.endswith(".json"))
    fails = sorted(f for f in os.listdir(fail_dir) if f.endswith(".json"))
    # a spread of both: every third passing body; the ordering, surrogate,
    # trailing-garbage and non-RFC-whitespace failures (first error wins, any
    # chunking); then every fourth failing body, up to MAX_FILES
    pick_pass = passes[::3]
    pick_fail = [f for f in fails if f.startswith(("order_", "surrogate_", "utf8_s", "trailing_",
                                                   "ws_"))]
    pick_fail += fails[::4]
    seen = set()
    n = 0
    for d, files in ((pass_dir, pick_pass), (fail_dir, pick_fail)):
        for f in files:
            if f in seen or n >= MAX_FILES:
                continue
            seen.add(f)
            data = open(os.path.join(d, f), "rb").read()
            if len(data) + 2 >= MAX_SIZE:
                continue
            seed = hashlib.sha256(f.encode()).digest()[:2]
            write("fuzz_body", ("pass_" if d == pass_dir else "fail_") + f[:-5], seed + data)
            n += 1
    return n


def redaction_cases():
    return {
        "secret_string": {"credentials": {"oauth2": {"client": {"id": "a", "secret": "s3cr3t"}}}},
        "secret_object": {"credentials": {"client": {"secret": {"value": "s", "v": [1, 2]}}}},
        "secret_array": {"credentials": {"x": [{"client": {"secret": ["a", {"b": "c"}]}}]}},
        "secret_deep": {"credentials": {"a": {"b": {"c": {"client": {"id": 1, "secret": "d"}}}}},
                        "label": "x"},
        "secret_twice": {"credentials": {"p": {"client": {"secret": "1"}},
                                         "q": {"client": {"secret": None, "other": "2"}}}},
        "secret_outside_credentials": {"actions": {"client": {"secret": "visible"}}},
        "secret_without_client": {"credentials": {"secret": "visible", "c": {"secret": "v"}}},
    }


def json_canon_corpus():
    n = 0
    pass_dir = os.path.join(BODY, "pass")
    for f in sorted(os.listdir(pass_dir)):
        if not f.endswith(".json"):
            continue
        text = open(os.path.join(pass_dir, f), "rb").read().decode("utf-8")
        ov = override_text(text)
        if ov is None or ov in ("null",):
            continue
        write("fuzz_json_canon", "override_" + f[:-5], ov.encode("utf-8"))
        n += 1
        if n >= 40:
            break
    for name, obj in redaction_cases().items():
        write("fuzz_json_canon", "redact_" + name, json.dumps(obj, separators=(",", ":")))
        n += 1
    # objects past 16 keys use a hash index for duplicate detection
    many = {"actions": {"k%d" % i: i for i in range(40)}, "headers": {"h%d" % i: "v" for i in range(20)}}
    text = json.dumps(many, separators=(",", ":"))
    write("fuzz_json_canon", "keys_40", text)
    write("fuzz_json_canon", "keys_40_dup", text[:text.index("}")] + ',"k37":0' + text[text.index("}"):])
    n += 2
    # whitespace yajl skips but RFC 8259 does not allow; discriminator places
    write("fuzz_json_canon", "ws_formfeed", b'{"tags":[\x0c"a"],\x0b"label":"x"}')
    write("fuzz_json_canon", "disc_places",
          '{"credentials":{"oauth2":{"config":{"a":1},"format":"oauth2"},"k":{}},'
          '"webhook":{"signature_verification":{"config":"x","format":"hmac"}},'
          '"pagination":{"config":[],"format":"page"}}')
    n += 2
    # demo integration configs, compact; the larger ones trimmed of their
    # biggest keys (credentials kept: it holds client.secret) to stay < 4 KB
    for f in sorted(os.listdir(DEMO)):
        if n >= MAX_FILES:
            break
        cfg = json.load(open(os.path.join(DEMO, f)))["config"]
        while True:
            text = json.dumps(cfg, separators=(",", ":"), ensure_ascii=False)
            if len(text.encode()) < MAX_SIZE:
                break
            biggest = max((k for k in cfg if k != "credentials"),
                          key=lambda k: len(json.dumps(cfg[k])))
            del cfg[biggest]
        write("fuzz_json_canon", "demo_" + f[:-5], text)
        n += 1


def request_corpus():
    tok = "ei_" + "0123456789abcdef" + "ab" * 32

    def req(method, uri, qs="", ctype="", clen="", auth="", ifm="", rid="", body=""):
        fields = [method, uri, qs, ctype, clen, auth, ifm, rid]
        return "\n".join(fields) + "\n" + body

    cases = {
        "not_found": req("GET", "/nope"),
        "root": req("GET", "/"),
        "pct_path_404": req("GET", "/environment%2Dintegration%2Fx%2Fy"),
        "bad_pct_path": req("GET", "/healthz%zz"),
        "nul_pct_path": req("GET", "/healthz%00"),
        "healthz_post_405": req("POST", "/healthz", rid="abc-123_X"),
        "healthz_slash_delete": req("DELETE", "/healthz/"),
        "collection_put_405": req("PUT", "/environment-integration?x=1", "x=1"),
        "item_post_405": req("POST", "/environment-integration/" + ID_A),
        "item_other_405": req("BREW", "/environment-integration/" + ID_A + "/"),
        "collection_no_token": req("GET", "/environment-integration", "limit=5"),
        "item_bad_token": req("DELETE", "/environment-integration/" + ID_A, auth="Bearer nope",
                              ifm='"3"'),
        "item_basic_auth": req("GET", "/environment-integration/" + ID_A, auth="Basic dXNlcjpwYXNz"),
        "long_request_id": req("GET", "/x", rid="r" * 80),
        "injected_request_id": req("GET", "/x", rid="a\rX-Evil: 1"),
        "patch_body_ok": req("PATCH", "/environment-integration/" + ID_A, "",
                             "application/json; charset=utf-8", "30", "Bearer " + tok, "*", "",
                             '{"is_enabled":false,"override":{"label":"x"}}'),
        "patch_merge_patch": req("PATCH", "/environment-integration/" + ID_A, "",
                                 "application/merge-patch+json", "2", "bearer  " + tok, "", "",
                                 "{}"),
        "post_body_bad": req("POST", "/environment-integration", "", "application/json", "40",
                             "Bearer " + tok, "", "", '{"integration_id":"nope","id":1}'),
        "post_too_large": req("POST", "/environment-integration", "", "application/json",
                              "99999999999", "Bearer " + tok),
        "post_bad_length": req("POST", "/environment-integration", "", "APPLICATION/JSON", "12x",
                               "Bearer " + tok, "", "", "{}"),
        "post_short_body": req("POST", "/environment-integration", "", "application/json", "100",
                               "Bearer " + tok, "", "", '{"show_in_catalog":tr'),
        "absent_params": "\x00\n/environment-integration\n",
        "head_unknown": req("HEAD", "/nope"),
        "head_item_no_token": req("HEAD", "/environment-integration/" + ID_A, "is_enabled=true"),
        "head_collection_bad_token": req("HEAD", "/environment-integration", "limit=1",
                                         auth="Bearer x"),
        "only_method": "OPTIONS",
    }
    for name, data in cases.items():
        write("fuzz_request", name, data)


def merge_corpus():
    """fuzz_merge: the stored override, a newline, the merge-patch body."""
    cases = {
        "headers": ('{"label":"a","headers":{"A":"1"}}',
                    '{"override":{"headers":{"A":null,"B":"2"},"tags":["x"]}}'),
        "clear": ("", '{"is_enabled":true,"override":null}'),
        "credentials": ('{"credentials":{"oauth2":{"format":"x","config":{}}}}',
                        '{"override":{"credentials":{"oauth2":{"format":null}}}}'),
        "authorization": ('{"authorization":{"format":"bearer","config":{}}}',
                          '{"override":{"authorization":{"config":"s"}}}'),
        "env": ('{"environment_variables":{"a":[1,{"b":null}]}}',
                '{"override":{"environment_variables":{"a":{"c":null,"d":1},"e":[{"f":null}]}}}'),
        "many": ('{"actions":{%s}}' % ",".join('"k%d":%d' % (i, i) for i in range(10)),
                 '{"override":{"actions":{"k9":null,"k3":{"x":null},"k10":10,"k0":0,'
                 '"k1":null,"k2":[],"k4":"s","k5":true}}}'),
        "flag_null": ('{"label":"x"}', '{"show_in_catalog":null}'),
    }
    for name, (stored, body) in cases.items():
        write("fuzz_merge", "seed_" + name, stored + "\n" + body)


def main():
    if os.path.isdir(CORPUS):
        shutil.rmtree(CORPUS)
    filter_corpus()
    cursor_corpus()
    body_corpus()
    json_canon_corpus()
    merge_corpus()
    request_corpus()
    for h in sorted(os.listdir(CORPUS)):
        files = os.listdir(os.path.join(CORPUS, h))
        assert len(files) <= MAX_FILES, (h, len(files))
        print("%-16s %3d files" % (h, len(files)))


if __name__ == "__main__":
    main()
