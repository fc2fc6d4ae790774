"""Where the Temporal dev server spends its CPU: `perf` samples named by Go function.

The Temporal CLI is a stripped Go binary, so `perf report` shows bare addresses. Go keeps
every function's name and start in its `.gopclntab` section, stripped or not (its stack
traces need them); this reads that table (the layout of Go 1.20 and later) and names each
sample. Linux only, an x86-64 or arm64 ELF binary.

    perf record -F 199 -p <dev server pid> -o dev.data        # during a benchmark
    perf script -i dev.data -F time,ip,dso > dev.txt
    python -m benchmarks.go_profile .venv/bin/temporal dev.txt --window 0:60 --window 60:82

Each window (seconds from the first sample) gets a column: samples by package (or
`--by function`), sorted by how much more the first window has than the second, so two
bursts of the same length can be told apart by what one does more.
"""

import argparse
import bisect
import collections
import mmap
import re
import struct
from dataclasses import dataclass
from pathlib import Path

PCLNTAB_MAGIC = 0xFFFFFFF1  # Go 1.20 and later
_PACKAGE = re.compile(r"^((?:[\w.-]+/)*[\w-]+)[.(]")


@dataclass(frozen=True)
class GoFunctions:
    """Function names by entry address, from a Go binary's `.gopclntab`."""

    entries: list[int]
    names: list[str]

    @classmethod
    def of_binary(cls, path: Path) -> "GoFunctions":
        with path.open("rb") as file, mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as data:
            sections = _elf_sections(data)
            if ".gopclntab" not in sections or ".text" not in sections:
                raise ValueError(f"{path}: no .gopclntab or .text section: not a Go binary")
            table, text = sections[".gopclntab"][1], sections[".text"][0]
            (magic,) = struct.unpack_from("<I", data, table)
            if magic != PCLNTAB_MAGIC:
                raise ValueError(f"{path}: pclntab magic {magic:#x}, not Go 1.20's")
            count, _, start, names_at, _, _, _, funcs_at = struct.unpack_from(
                "<8Q", data, table + 8
            )
            start = start or text  # 0 in the file: the linker leaves it to the runtime
            functions = []
            for index in range(count):
                entry, info = struct.unpack_from("<II", data, table + funcs_at + 8 * index)
                (name_offset,) = struct.unpack_from("<i", data, table + funcs_at + info + 4)
                name_start = table + names_at + name_offset
                name = data[name_start : data.find(b"\0", name_start)].decode()
                functions.append((start + entry, name))
        functions.sort()
        return cls([entry for entry, _ in functions], [name for _, name in functions])

    def name(self, address: int) -> str:
        index = bisect.bisect_right(self.entries, address) - 1
        return self.names[index] if index >= 0 else f"{address:#x}"


def _elf_sections(data: mmap.mmap) -> dict[str, tuple[int, int]]:
    """Each section's (address, file offset), by name, of a 64-bit little-endian ELF."""
    if data[:6] != b"\x7fELF\x02\x01":
        raise ValueError("not a 64-bit little-endian ELF file")
    (table,) = struct.unpack_from("<Q", data, 0x28)
    size, count, names_index = struct.unpack_from("<HHH", data, 0x3A)

    def header(index: int) -> tuple[int, int, int]:
        name, _, _, address, offset = struct.unpack_from("<IIQQQ", data, table + size * index)
        return name, address, offset

    names_offset = header(names_index)[2]
    sections = {}
    for index in range(count):
        name, address, offset = header(index)
        start = names_offset + name
        sections[data[start : data.find(b"\0", start)].decode()] = (address, offset)
    return sections


def package(function: str) -> str:
    """`go.temporal.io/server/service/matching.(*x).y` → its package's path."""
    found = _PACKAGE.match(function)
    return found.group(1) if found else function


def read_samples(
    perf_script: Path, functions: GoFunctions, binary: Path
) -> list[tuple[float, str]]:
    """(seconds from the first sample, function) for each line of `perf script -F
    time,ip,dso`; a sample outside `binary` is named by its object, e.g. `[kernel]`."""
    samples = []
    for line in perf_script.read_text().splitlines():
        fields = line.split()
        if len(fields) < 3:
            continue
        seconds, address = float(fields[0].rstrip(":")), int(fields[1], 16)
        where = Path(fields[2].strip("()[]")).name
        samples.append((seconds, functions.name(address) if where == binary.name else f"[{where}]"))
    first = samples[0][0] if samples else 0.0
    return [(seconds - first, name) for seconds, name in samples]


def by_window(
    samples: list[tuple[float, str]], windows: list[tuple[float, float]], by_function: bool
) -> list[collections.Counter[str]]:
    key = (lambda name: name) if by_function else package
    return [
        collections.Counter(key(name) for seconds, name in samples if start <= seconds < end)
        for start, end in windows
    ]


def table(counts: list[collections.Counter[str]], top: int) -> list[str]:
    first, second = counts[0], counts[1] if len(counts) > 1 else collections.Counter()
    names = sorted(set().union(*counts), key=lambda name: (second[name] - first[name], name))
    header = "".join(f"{sum(c.values()):>10}" for c in counts)
    rows = [header + "  all samples"]
    rows += ["".join(f"{c[name]:>10}" for c in counts) + f"  {name}" for name in names[:top]]
    return rows


def _window(text: str) -> tuple[float, float]:
    start, _, end = text.partition(":")
    return float(start or 0), float(end or "inf")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("binary", type=Path)
    parser.add_argument("perf_script", type=Path)
    parser.add_argument("--window", type=_window, action="append", help="START:END seconds")
    parser.add_argument("--by", choices=("package", "function"), default="package")
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    samples = read_samples(args.perf_script, GoFunctions.of_binary(args.binary), args.binary)
    counts = by_window(samples, args.window or [(0.0, float("inf"))], args.by == "function")
    print("\n".join(table(counts, args.top)))


if __name__ == "__main__":
    main()
