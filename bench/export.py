"""Export speed and memory at 50,000 lines, against the obvious alternatives, in one run.

    .venv/bin/python bench/export.py [--lines 50000] [--repeats 3]

Each writer runs in a fresh process on the same synthetic report. Peak
memory is the process's real peak RSS during the export (VmHWM, reset once
the report is built; lxml allocates outside tracemalloc's sight) minus its
RSS at that moment. Linux only. Variants:

  ours-xlsx          reports.exports.xlsx_write (openpyxl write-only + lxml)
  xlsxwriter-cm      XlsxWriter with constant_memory=True, same cells and formats
  openpyxl-plain     openpyxl's normal (in-memory) workbook, same cells and formats
  ours-csv           reports.exports.csv_chunks, fully consumed
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
VARIANTS = ["ours-xlsx", "xlsxwriter-cm", "openpyxl-plain", "ours-csv"]


def rss_kib() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def reset_peak_rss() -> None:
    """Linux: restart the high-water mark (VmHWM) from the current RSS."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def peak_rss_kib() -> int:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))


def synthetic_orders(lines: int):
    from orders.rules import OrderBlock, ReportLine

    rng = random.Random(7)
    items = ["Roller Blind Blockout", "Wave Curtain Linen", "PVC Plantation Shutter", "Folding Arm Awning"]
    statuses = ["In Production", "Sewing", "Quality Check", "Packed", "=cmd|' /C calc'!A0"]
    orders, made, ref = [], 0, 500000
    while made < lines:
        count = min(rng.randint(1, 9), lines - made)
        block_lines = [
            ReportLine(
                line_no=str(n),
                item=rng.choice(items),
                group="Roller Blinds",
                status=rng.choice(statuses),
                raw_status="x",
                descn=f"Customer {ref} - upstairs",
                fields={
                    "FixedLine": n,
                    "Customer": "Northside Window Co",
                    "Qty": rng.randint(1, 4),
                    "Location": "Bed 2",
                },
            )
            for n in range(1, count + 1)
        ]
        eta = None if rng.random() < 0.05 else date(2026, 12, 1) + timedelta(days=rng.randint(0, 60))
        orders.append(OrderBlock("DD", str(ref), f"Customer {ref}", "Northside", eta, block_lines))
        made += count
        ref += 1
    return orders


def run_variant(name: str, lines: int, repeats: int) -> dict:
    os.environ.update(DJANGO_SETTINGS_MODULE="buzeta.settings", BUZETA_DATA_DIR=tempfile.mkdtemp())
    import django

    django.setup()
    from reports.exports import csv_chunks, export_columns, export_rows, neutralise, xlsx_write

    orders = synthetic_orders(lines)
    columns = export_columns()
    baseline = rss_kib()
    reset_peak_rss()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        if name == "ours-xlsx":
            with tempfile.TemporaryFile() as output:
                xlsx_write(orders, columns, output)
        elif name == "ours-csv":
            for _chunk in csv_chunks(orders, columns):
                pass
        elif name == "xlsxwriter-cm":
            import xlsxwriter

            with tempfile.NamedTemporaryFile(suffix=".xlsx", delete=False) as handle:
                path = handle.name
            book = xlsxwriter.Workbook(path, {"constant_memory": True})
            sheet = book.add_worksheet("Open orders")
            bold, day = book.add_format({"bold": True}), book.add_format({"num_format": "d mmm yyyy"})
            sheet.freeze_panes(1, 0)
            sheet.write_row(0, 0, columns, bold)
            for r, row in enumerate(export_rows(orders, columns), start=1):
                for c, value in enumerate(row):
                    if isinstance(value, date):
                        sheet.write_datetime(r, c, value, day)
                    elif isinstance(value, str):
                        sheet.write_string(r, c, neutralise(value))
                    elif value is not None:
                        sheet.write_number(r, c, value)
            book.close()
            os.unlink(path)
        elif name == "openpyxl-plain":
            from openpyxl import Workbook
            from openpyxl.styles import Font

            book = Workbook()
            sheet = book.active
            sheet.freeze_panes = "A2"
            sheet.append(columns)
            for cell in sheet[1]:
                cell.font = Font(bold=True)
            for r, row in enumerate(export_rows(orders, columns), start=2):
                sheet.append([neutralise(v) if isinstance(v, str) else v for v in row])
                if row[1] is not None:
                    sheet.cell(row=r, column=2).number_format = "d mmm yyyy"
            with tempfile.TemporaryFile() as out:
                book.save(out)
        times.append(time.perf_counter() - started)
    peak = peak_rss_kib()
    return {
        "variant": name,
        "median_s": statistics.median(times),
        "min_s": min(times),
        "peak_mib": (peak - baseline) / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--variant", help=argparse.SUPPRESS)  # internal: run one variant in this process
    args = parser.parse_args()
    if args.variant:
        print(json.dumps(run_variant(args.variant, args.lines, args.repeats)))
        return

    results = {}
    for name in VARIANTS:
        out = subprocess.run(
            [sys.executable, __file__, "--variant", name, "--lines", str(args.lines), "--repeats", str(args.repeats)],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        results[name] = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"{args.lines} lines, median of {args.repeats} runs each, one fresh process per variant")
    print(f"{'variant':<16}{'median s':>10}{'min s':>10}{'peak MiB':>10}")
    for r in results.values():
        print(f"{r['variant']:<16}{r['median_s']:>10.3f}{r['min_s']:>10.3f}{r['peak_mib']:>10.1f}")
    ours, xw, plain = results["ours-xlsx"], results["xlsxwriter-cm"], results["openpyxl-plain"]
    print(f"XLSX time vs xlsxwriter constant-memory: {ours['median_s'] / xw['median_s']:.2f}x  (target <= 1.4)")
    print(f"XLSX peak memory vs plain openpyxl:      {ours['peak_mib'] / plain['peak_mib']:.2f}   (target <= 0.33)")
    print(f"CSV time: {results['ours-csv']['median_s']:.3f} s  (target < 0.5)")


if __name__ == "__main__":
    main()
