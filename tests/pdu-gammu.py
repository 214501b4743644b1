#!/usr/bin/python3
# pdu-gammu.py: check the PDUs tests/pdutool makes against python-gammu,
# an independent decoder (libGammu).
#
# usage: pdu-gammu.py PDUTOOL [pdutool options] NUMBER TEXT
#
# Runs PDUTOOL with the options, decodes every part with
# gammu.DecodePDU(SMSC=True) and joins them with gammu.DecodeSMS; checks
# the number, SMSC, coding, part count and split (worked out here on its
# own, from TS 23.038/23.040), concatenation UDH (reference, part number,
# all parts), TP-SRR, TP-VP and tpdu_len.  Prints nothing and exits 0
# when all agree, else prints what differs and exits 1.
#
# python-gammu 3.2.4 quirks worked around:
#  - DecodePDU()['Text'] goes wrong after a GSM extension character
#    (it counts the escape septets as characters): only the first
#    Length - (extension characters) characters are compared, and
#    DecodeSMS, which gets them right, is used for concatenated parts.
#  - DecodeSMS returns None for a message without a UDH.
#  - TP-SRR is not in the dict: it is read from the first octet.

import subprocess
import sys

import gammu

# The GSM 7-bit default alphabet (TS 23.038 6.2.1), 0x1b the escape.
GSM_BASIC = ("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./"
             "0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
             "¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM_EXT = "\f^{}\\[~]|€"
assert len(GSM_BASIC) == 128

SMSC = "+8613800571500"
errors = []


def err(msg):
    errors.append(msg)


def vp_minutes(vp):
    """What a relative TP-VP octet means, in minutes (23.040 9.2.3.12.1)."""
    if vp <= 143:
        return (vp + 1) * 5
    if vp <= 167:
        return 720 + (vp - 143) * 30
    if vp <= 196:
        return (vp - 166) * 1440
    return (vp - 192) * 10080


def gammu_validity(s):
    """python-gammu's validity string ('5M', '2D', '5W', 'Max') in minutes."""
    if s == "Max":
        return 63 * 10080
    unit = {"M": 1, "H": 60, "D": 1440, "W": 10080}[s[-1]]
    return int(s[:-1]) * unit


def split(units, cap):
    """Greedy split of per-character costs into parts of at most cap."""
    parts, room = [], 0
    for i, u in enumerate(units):
        if not parts or room < u:
            parts.append([])
            room = cap
        parts[-1].append(i)
        room -= u
    return parts


def main():
    tool = sys.argv[1]
    args = sys.argv[2:]
    national = srr = smsc = ref16 = False
    vp = 0
    ref = 0
    i = 0
    while i < len(args) - 2:
        a = args[i]
        if a == "-n":
            national = True
        elif a == "-r":
            srr = True
        elif a == "-s":
            smsc = True
        elif a == "-16":
            ref16 = True
        elif a == "-v":
            i += 1
            vp = int(args[i])
        elif a == "-R":
            i += 1
            ref = int(args[i])
        i += 1
    number, text = args[-2], args[-1]

    out = subprocess.run([tool] + args, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, check=False)
    if out.returncode != 0:
        print("pdutool failed: " + out.stderr.decode(errors="replace"))
        return 1
    lines = out.stdout.decode().splitlines()

    # Expectations, worked out here.
    gsm = all(c in GSM_BASIC or c in GSM_EXT for c in text)
    if gsm:
        coding = "Default_No_Compression"
        cost = [2 if c in GSM_EXT else 1 for c in text]
        single, cap = 160, (152 if ref16 else 153)
    else:
        coding = "Unicode_No_Compression"
        cost = [2 if ord(c) > 0xFFFF else 1 for c in text]
        single, cap = 70, (66 if ref16 else 67)
    if sum(cost) <= single:
        want = [list(range(len(text)))]
    else:
        want = split(cost, cap)
    if number.startswith("+"):
        want_number = number
    elif national:
        want_number = number
    elif len(number) == 11 and number.startswith("1"):
        want_number = "+86" + number
    else:
        want_number = number

    if len(lines) != len(want):
        err("%d parts, want %d" % (len(lines), len(want)))
        want = want[:len(lines)] + [[]] * (len(lines) - len(want))

    decoded = []
    for n, (line, idx) in enumerate(zip(lines, want), 1):
        tlen, hexs = line.split()
        raw = bytes.fromhex(hexs)
        what = "part %d/%d: " % (n, len(lines))
        if int(tlen) != len(raw) - 1 - raw[0]:
            err(what + "tpdu_len %s, want %d" % (tlen, len(raw) - 1 - raw[0]))
        first = raw[1 + raw[0]]
        if bool(first & 0x20) != srr:
            err(what + "TP-SRR %d, want %d" % (bool(first & 0x20), srr))
        d = gammu.DecodePDU(raw, SMSC=True)
        decoded.append(d)
        if d["Type"] != "Submit":
            err(what + "type " + d["Type"])
        if d["Number"] != want_number:
            err(what + "number %s, want %s" % (d["Number"], want_number))
        if d["SMSC"]["Number"] != (SMSC if smsc else ""):
            err(what + "SMSC " + d["SMSC"]["Number"])
        if d["Coding"] != coding:
            err(what + "coding %s, want %s" % (d["Coding"], coding))
        val = d["SMSC"]["Validity"]
        if vp == 0:
            if val != "NA":
                err(what + "validity %s, want none" % val)
        else:
            # The smallest relative period at least vp minutes long.
            wantvp = min([vp_minutes(v) for v in range(256)
                          if vp_minutes(v) >= vp] or [63 * 10080])
            if val == "NA" or gammu_validity(val) != wantvp:
                err(what + "validity %s, want %d minutes" % (val, wantvp))
        ptext = "".join(text[k] for k in idx)
        if d["Length"] != sum(cost[k] for k in idx):
            err(what + "length %d, want %d" % (d["Length"],
                                               sum(cost[k] for k in idx)))
        udh = d["UDH"]
        if len(lines) == 1:
            if udh["Type"] != "NoUDH":
                err(what + "UDH " + udh["Type"])
            nesc = sum(1 for c in ptext if c in GSM_EXT) if gsm else 0
            got = d["Text"][:d["Length"] - nesc]
            if got != ptext:
                err(what + "text %r, want %r" % (got, ptext))
            continue
        wtype = "ConcatenatedMessages16bit" if ref16 else \
            "ConcatenatedMessages"
        if udh["Type"] != wtype:
            err(what + "UDH %s, want %s" % (udh["Type"], wtype))
        rid = udh["ID16bit"] if ref16 else udh["ID8bit"]
        if rid != ref & (0xFFFF if ref16 else 0xFF):
            err(what + "reference %d, want %d" % (rid, ref))
        if udh["PartNumber"] != n or udh["AllParts"] != len(lines):
            err(what + "part %d of %d" % (udh["PartNumber"],
                                          udh["AllParts"]))
        one = gammu.DecodeSMS([d], False)
        got = one["Entries"][0]["Buffer"] if one else None
        if got != ptext:
            err(what + "text %r, want %r" % (got, ptext))

    if len(lines) > 1:
        whole = gammu.DecodeSMS(decoded)
        got = whole["Entries"][0]["Buffer"] if whole else None
        if got != text:
            err("joined text %r, want %r" % (got, text))

    for e in errors:
        print(e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
