"""zbar on images generated here with qrencode and zint — straight, rotated and noisy — through
`gatewayd decode-image`, and the PNG/PNM loader on the colour types real files use."""
import json
import random
import subprocess

from PIL import Image

from harness import GATEWAYD, wait_for

GS = "\x1d"


def make(tmp, name, cmd):
    path = tmp / f"{name}.png"
    subprocess.run(cmd + ["-o", str(path)], check=True, capture_output=True)
    return path


def decode_images(*paths):
    r = subprocess.run([GATEWAYD, "decode-image", "--json", *map(str, paths)], capture_output=True, text=True, timeout=60)
    return r.returncode, json.loads(r.stdout)


def variants(path, tmp, angles):
    """The image as generated, rotated by a few angles, with salt-and-pepper noise, as grey and
    RGB PNG and as binary PGM."""
    img = Image.open(path).convert("RGBA").convert("L")
    framed = Image.new("L", (img.width + 80, img.height + 80), 255)
    framed.paste(img, (40, 40))
    rng = random.Random(7)
    out = [path]
    for angle in angles:
        p = tmp / f"{path.stem}-rot{angle}.png"
        framed.rotate(angle, expand=True, fillcolor=255, resample=Image.BICUBIC).save(p)
        out.append(p)
    noisy = framed.copy()
    px = noisy.load()
    for _ in range(noisy.width * noisy.height // 100):  # 1 % of pixels flipped
        x, y = rng.randrange(noisy.width), rng.randrange(noisy.height)
        px[x, y] = 255 - px[x, y]
    p = tmp / f"{path.stem}-noise.png"
    noisy.save(p)
    out.append(p)
    p = tmp / f"{path.stem}-rgb.png"
    framed.convert("RGB").save(p)
    out.append(p)
    p = tmp / f"{path.stem}.pgm"
    framed.save(p)
    out.append(p)
    return out


def test_qr_gs1_128_and_ean13_straight_rotated_and_noisy(tmp_path):
    cases = [
        (make(tmp_path, "qr", ["qrencode", "-s", "4", "https://id.gs1.org/01/09506000134352/10/LOT7?17=261231"]),
         "QR-Code", "gs1-digital-link", [("01", "09506000134352"), ("10", "LOT7"), ("17", "261231")]),
        (make(tmp_path, "gs1-128", ["zint", "-b", "16", "--scale", "2", "-d", "[01]09506000134352[10]ABC[21]12345"]),
         "CODE-128", "gs1", [("01", "09506000134352"), ("10", "ABC"), ("21", "12345")]),
        (make(tmp_path, "ean13", ["zint", "-b", "13", "--scale", "2", "-d", "400638133393"]),
         "EAN-13", "gtin", [("01", "04006381333931")]),
        (make(tmp_path, "gs1-qr", ["zint", "-b", "58", "--gs1", "--scale", "4", "-d", "[01]09506000134352[17]261231"]),
         "QR-Code", "gs1", [("01", "09506000134352"), ("17", "261231")]),
    ]
    for path, zbar_type, fmt, elements in cases:
        # 2D codes read at any angle; a linear code only while one scan line still crosses
        # all its bars (a 378×116 GS1-128 at 27° has none), as with any scanner.
        angles = (7, 90, 180, 333) if zbar_type == "QR-Code" else (4, 90, 180, 356)
        for v in variants(path, tmp_path, angles):
            rc, res = decode_images(v)
            assert rc == 0, (v.name, res)
            syms = res[0]["symbols"]
            assert len(syms) == 1, (v.name, syms)
            s = syms[0]
            assert s["type"] == zbar_type, (v.name, s)
            assert s["decoded"]["format"] == fmt, (v.name, s)
            assert [(e["ai"], e["value"]) for e in s["decoded"]["gs1"]] == elements, (v.name, s)


def test_code128_gs1_uses_fnc1_as_group_separator(tmp_path):
    p = make(tmp_path, "fnc1", ["zint", "-b", "16", "--scale", "2", "-d", "[10]ABC[21]XYZ"])
    rc, res = decode_images(p)
    s = res[0]["symbols"][0]
    assert s["aim"] == "]C1"
    assert s["text"] == "10ABC" + GS + "21XYZ"


def test_image_without_a_code_and_a_broken_file_are_reported(tmp_path):
    blank = tmp_path / "blank.png"
    Image.new("L", (200, 100), 255).save(blank)
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 20)
    rc, res = decode_images(blank, broken)
    assert rc == 1
    assert res[0]["symbols"] == [] and res[0].get("error") is None
    assert "corrupt" in res[1]["error"] or "IHDR" in res[1]["error"]


def test_the_daemon_maps_zbar_only_to_scan_images(site, tmp_path):
    """gatewayd loads zbar on first use: a running daemon without a camera reader has neither
    libzbar nor the libraries it pulls in (X11, v4l) mapped, and decode-image still scans. Nor,
    without a [gps] section, libgps (test_gps_logs checks it is mapped with one)."""
    site.write_config()
    gw = site.start_gateway()
    wait_for(lambda: "gatewayd ready" in site.log(), 30, "gatewayd to start")
    maps = open(f"/proc/{gw.pid}/maps").read()
    for lib in ("libzbar", "libX11", "libv4l2", "libgps"):
        assert lib not in maps, f"{lib} is mapped in a daemon with no camera reader and no [gps]"
    qr = make(tmp_path, "qr", ["qrencode", "-s", "6", "HELLO-ZBAR"])
    rc, out = decode_images(qr)
    assert rc == 0 and [s["text"] for s in out[0]["symbols"]] == ["HELLO-ZBAR"], out
