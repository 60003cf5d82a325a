// Upstream's ds_put_hex_dump: 16 bytes a line, an 8-digit offset, a dash after the eighth byte,
// and optionally the printable ASCII between bars. The text ofp-print and the tools use for raw
// bytes. Pure formatting.

/** Hex dump of `data`, numbering from `offset`; every line ends in "\n". */
export function hexDump(data: Uint8Array, offset = 0, ascii = true): string {
  const perLine = 16;
  let out = "";
  let ofs = offset;
  let pos = 0;
  let size = data.length;
  while (size > 0) {
    const start = ofs % perLine;
    let end = perLine;
    if (end - start > size) end = start + size;
    const n = end - start;
    let line = (ofs - start).toString(16).padStart(8, "0") + "  ";
    let i = 0;
    for (; i < start; i++) line += "   ";
    for (; i < end; i++) {
      line += data[pos + i - start]!.toString(16).padStart(2, "0") +
        (i === perLine / 2 - 1 ? "-" : " ");
    }
    if (ascii) {
      for (; i < perLine; i++) line += "   ";
      line += "|";
      for (i = 0; i < start; i++) line += " ";
      for (; i < end; i++) {
        const c = data[pos + i - start]!;
        line += c >= 32 && c < 127 ? String.fromCharCode(c) : ".";
      }
      for (; i < perLine; i++) line += " ";
      line += "|";
    } else {
      line = line.replace(/ +$/, "");
    }
    out += line + "\n";
    ofs += n;
    pos += n;
    size -= n;
  }
  return out;
}

/** Upstream's ds_put_printable: bytes outside 0x20..0x7e, and `\` and `"`, as octal escapes. */
export function printable(data: Uint8Array): string {
  let out = "";
  for (const c of data) {
    out += c < 0x20 || c > 0x7e || c === 0x5c || c === 0x22
      ? "\\" + c.toString(8).padStart(3, "0")
      : String.fromCharCode(c);
  }
  return out;
}
