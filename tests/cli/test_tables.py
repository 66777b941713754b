"""What the command line shows at 80 columns: values users compare are never cut or altered."""

from __future__ import annotations

import io

from cpdesk.cli.tables import WrappingTable, new_console, show


def rendered(table: WrappingTable, width: int = 80) -> str:
    out = io.StringIO()
    new_console(file=out, width=width, color_system=None).print(table)
    return out.getvalue()


def test_a_fingerprint_is_never_read_as_an_emoji_code() -> None:
    table = WrappingTable(title="SSH keys")
    table.add_column("Fingerprint (MD5)")
    table.add_row("5b:8e:51:bb:34:10:6b:cd:ed:b4:7f:b8:49:68:c4:2c")  # ":cd:" is rich's disc emoji
    assert "5b:8e:51:bb:34:10:6b:cd:ed:b4:7f:b8:49:68:c4:2c" in rendered(table)


def test_markup_in_a_value_is_shown_as_text() -> None:
    table = WrappingTable()
    table.add_column("Name")
    table.add_row("[red]RMCNM01[/red].CSV.ZIP")
    assert "[red]RMCNM01[/red].CSV.ZIP" in rendered(table)


def test_a_table_too_wide_for_80_columns_becomes_records_with_whole_values() -> None:
    name = "RMCNM01_B00001_20210507205600.CSV.ZIP"
    columns = ("Facility", "Folder", "Name", "Bytes", "Business date", "Result", "SHA-256")
    row = ("securities", "INBOX/20210507", name, "6,966,707", "2021-05-07", "verified", "a4a2d7d37611")
    out = io.StringIO()
    show(new_console(file=out, width=80, color_system=None), "Ledger", columns, [row, row])
    text = out.getvalue()
    assert "…" not in text
    assert max(len(line) for line in text.splitlines()) <= 80
    assert text.count(name) == 2  # whole, on one line each
    assert text.count("6,966,707") == 2
    wide = io.StringIO()
    show(new_console(file=wide, width=160, color_system=None), "Ledger", columns, [row])
    assert "┃ Name" in wide.getvalue()  # it fits: a table
