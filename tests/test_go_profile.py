"""The dev server's profiler names samples by Go function, from the real Temporal CLI."""

from functools import cache
from pathlib import Path

import pytest

from benchmarks.go_profile import GoFunctions, by_window, package, read_samples, table
from cli.temporal_server import find_temporal_cli


@cache
def temporal_functions() -> GoFunctions:
    return GoFunctions.of_binary(find_temporal_cli())


def test_the_stripped_temporal_cli_still_names_its_functions() -> None:
    functions = temporal_functions()
    entry = functions.entries[functions.names.index("main.main")]
    assert functions.name(entry) == functions.name(entry + 8) == "main.main"
    assert functions.name(entry - 1) != "main.main"
    assert any(
        name.startswith("go.temporal.io/server/service/matching.") for name in functions.names
    )


def test_a_file_that_is_not_a_go_binary_is_refused(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_bytes(b"not an ELF file at all")
    with pytest.raises(ValueError, match="ELF"):
        GoFunctions.of_binary(text)


def test_samples_are_counted_by_package_in_each_window(tmp_path: Path) -> None:
    functions = temporal_functions()
    main_entry = functions.entries[functions.names.index("main.main")]
    binary = "(/opt/temporal/bin/temporal)"
    perf_script = tmp_path / "dev.txt"
    perf_script.write_text(
        f" 100.5: {main_entry + 4:x} {binary}\n"
        " 100.9: ffffffff81000000 ([kernel.kallsyms])\n"
        f" 101.2: {main_entry + 4:x} {binary}\n"
        f" 103.0: {main_entry:x} {binary}\n"
        "\n"
    )
    samples = read_samples(perf_script, functions, find_temporal_cli())
    assert [round(seconds, 1) for seconds, _ in samples] == [0.0, 0.4, 0.7, 2.5]
    assert samples[1][1] == "[kernel.kallsyms]"
    first, second = by_window(samples, [(0.0, 1.0), (1.0, 5.0)], by_function=False)
    assert first == {"main": 2, "[kernel.kallsyms]": 1}
    assert second == {"main": 1}
    # What the first window does more comes first; a header row gives the totals.
    assert [row.split() for row in table([first, second], top=5)] == [
        ["3", "1", "all", "samples"],
        ["1", "0", "[kernel.kallsyms]"],
        ["2", "1", "main"],
    ]


def test_a_package_is_the_path_before_its_functions_name() -> None:
    assert package("go.temporal.io/server/service/matching.(*matcher).Poll") == (
        "go.temporal.io/server/service/matching"
    )
    assert package("runtime.mallocgc") == "runtime"
    assert package("modernc.org/sqlite/lib._sqlite3VdbeExec") == "modernc.org/sqlite/lib"
