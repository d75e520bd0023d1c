"""The streaming tar reader agrees with Python's tarfile and refuses damaged or hostile tars."""

from __future__ import annotations

import io
import tarfile

import pytest

from tenlayer.errors import BadInput
from tenlayer.image.tarstream import EntryKind, TarStream
from tests.support.images import Layer


def entries(data: bytes) -> list[tuple[str, EntryKind, int, str, bytes]]:
    stream = TarStream(io.BytesIO(data), context="test layer")
    found = []
    for entry in stream:
        content = stream.read_content() if entry.kind is EntryKind.FILE else b""
        found.append((entry.path, entry.kind, entry.size, entry.linkname, content))
    return found


@pytest.mark.parametrize(
    "tar_format", [tarfile.USTAR_FORMAT, tarfile.GNU_FORMAT, tarfile.PAX_FORMAT]
)
def test_reads_every_entry_type_in_every_format(tar_format: int) -> None:
    layer = Layer(tar_format=tar_format)
    layer.directory("etc").file("etc/hostname", "box\n").symlink("etc/link", "/etc/hostname")
    layer.hardlink("etc/hard", "etc/hostname").file("./usr/bin/tool", b"\x7fELF" + b"x" * 1000)
    assert entries(layer.tar()) == [
        ("etc", EntryKind.DIR, 0, "", b""),
        ("etc/hostname", EntryKind.FILE, 4, "", b"box\n"),
        ("etc/link", EntryKind.SYMLINK, 0, "/etc/hostname", b""),
        ("etc/hard", EntryKind.HARDLINK, 0, "etc/hostname", b""),
        ("usr/bin/tool", EntryKind.FILE, 1004, "", b"\x7fELF" + b"x" * 1000),
    ]


@pytest.mark.parametrize("tar_format", [tarfile.GNU_FORMAT, tarfile.PAX_FORMAT])
def test_long_names_and_link_targets(tar_format: int) -> None:
    long_dir = "/".join(["deep"] * 60)
    layer = Layer(tar_format=tar_format)
    layer.file(f"{long_dir}/file.txt", "x").symlink(f"{long_dir}/link", "/" + long_dir * 2)
    found = entries(layer.tar())
    assert [e[0] for e in found] == [f"{long_dir}/file.txt", f"{long_dir}/link"]
    assert found[1][3] == "/" + long_dir * 2


def test_ustar_prefix_field_joins_the_name() -> None:
    name = "a" * 90 + "/" + "b" * 90 + "/file"
    layer = Layer(tar_format=tarfile.USTAR_FORMAT).file(name, "ok")
    assert entries(layer.tar())[0][0] == name


def test_unread_content_is_skipped_and_padding_respected() -> None:
    layer = Layer().file("a", b"1" * 511).file("b", b"2" * 513).file("c", b"3")
    stream = TarStream(io.BytesIO(layer.tar()), context="t")
    names = []
    for entry in stream:
        names.append(entry.path)
        if entry.path == "b":
            assert stream.read(10) == b"2" * 10  # partial read, rest skipped
    assert names == ["a", "b", "c"]


def test_parses_the_same_entries_as_tarfile_on_a_large_tree() -> None:
    layer = Layer()
    for number in range(300):
        layer.file(f"usr/share/{number % 7}/f{number}", bytes([number % 256]) * (number * 37))
    data = layer.tar()
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        expected = [m.name for m in archive]
    assert [e[0] for e in entries(data)] == expected


def test_truncated_tar_is_refused() -> None:
    data = Layer().file("etc/passwd", b"x" * 2000).tar()
    with pytest.raises(BadInput, match=r"^test layer: tar stream is truncated$"):
        entries(data[:1100])
    with pytest.raises(BadInput, match="truncated"):
        entries(data[:700])  # in the middle of a header


def test_damaged_header_is_refused() -> None:
    data = bytearray(Layer().file("etc/passwd", "root").tar())
    data[10] ^= 0xFF
    with pytest.raises(BadInput, match=r"damaged tar header \(checksum mismatch\)"):
        entries(bytes(data))


@pytest.mark.parametrize("name", ["../etc/passwd", "a/../../etc/shadow", "/../x"])
def test_paths_escaping_the_root_are_refused(name: str) -> None:
    info = tarfile.TarInfo(name)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        archive.addfile(info, io.BytesIO(b""))
    with pytest.raises(BadInput, match="escapes the image root"):
        entries(buffer.getvalue())


def test_absolute_and_dotted_paths_are_made_relative() -> None:
    layer = Layer().file("/etc/a", "1").file("./etc/./b", "2").file("etc//c/", "3")
    assert [e[0] for e in entries(layer.tar())] == ["etc/a", "etc/b", "etc/c"]


def test_oversized_pax_record_is_refused() -> None:
    pax = b"%d path=%s\n"
    body = b"x" * (2 << 20)
    record = pax % (len(body) + 20, body)
    info = tarfile.TarInfo("././@PaxHeader")
    info.type = tarfile.XHDTYPE
    info.size = len(record)
    buffer = io.BytesIO()
    buffer.write(info.tobuf(format=tarfile.USTAR_FORMAT))
    buffer.write(record + b"\0" * (-len(record) % 512))
    buffer.write(b"\0" * 1024)
    with pytest.raises(BadInput, match="tar metadata record of .* bytes is too large"):
        entries(buffer.getvalue())


def test_layer_ending_right_after_the_last_file_data_is_complete() -> None:
    """As Debian 12's umoci writes them: no padding, no end-of-archive blocks."""
    data = Layer().file("etc/a", "1").file("etc/b", b"x" * 700).tar()
    end = 512 * 3 + 700  # header a, data a, header b, then 700 bytes of data
    assert [e[0] for e in entries(data[: end + 512])] == ["etc/a", "etc/b"]
    assert [e[4] for e in entries(data[:end])] == [b"1", b"x" * 700]
    with pytest.raises(BadInput, match="truncated"):
        entries(data[: end - 1])  # the data itself is cut: truncated
