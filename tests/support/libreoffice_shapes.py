"""Run by the system Python that has LibreOffice's ``uno`` (not the project's venv): opens an
xlsx in a headless LibreOffice Calc and prints, as JSON, the form controls on its first sheet
(label, left edge in 1/100 mm) and the left edge of each column, so a test can see what an
office suite other than openpyxl makes of the file.

    /usr/bin/python3 tests/support/libreoffice_shapes.py BOOK.xlsx PROFILE_DIR
"""

import contextlib
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import uno
from com.sun.star.beans import PropertyValue


def _property(name: str, value: Any) -> Any:
    prop = PropertyValue()
    prop.Name, prop.Value = name, value
    return prop


def main() -> None:
    book, profile = Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve()
    pipe = f"cpdesk{abs(hash(str(profile)))}"
    office = subprocess.Popen(
        [
            "soffice",
            "--headless",
            "--invisible",
            "--nologo",
            "--norestore",
            "--nodefault",
            f"-env:UserInstallation={profile.as_uri()}",
            f"--accept=pipe,name={pipe};urp;",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    desktop: Any = None
    try:
        resolver = uno.getComponentContext().ServiceManager.createInstanceWithContext(
            "com.sun.star.bridge.UnoUrlResolver", uno.getComponentContext()
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                context = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
                break
            except Exception:
                if time.monotonic() > deadline or office.poll() is not None:
                    raise SystemExit("LibreOffice did not start") from None
                time.sleep(0.3)
        desktop = context.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", context)
        document = desktop.loadComponentFromURL(book.as_uri(), "_blank", 0, (_property("Hidden", True),))
        if document is None:
            raise SystemExit(f"LibreOffice could not open {book.name}")
        sheet = document.Sheets.getByIndex(0)
        controls = []
        for index in range(sheet.DrawPage.Count):
            shape = sheet.DrawPage.getByIndex(index)
            model = getattr(shape, "Control", None)
            if model is not None:
                controls.append({"label": model.Label, "x": shape.Position.X})
        columns = [sheet.Columns.getByIndex(i).Position.X for i in range(30)]
        print(json.dumps({"controls": controls, "columns": columns}))
        document.close(True)
    finally:
        if desktop is not None:
            with contextlib.suppress(Exception):  # already gone is as good as closed
                desktop.terminate()
        try:
            office.wait(20)
        except subprocess.TimeoutExpired:
            office.kill()


if __name__ == "__main__":
    main()
