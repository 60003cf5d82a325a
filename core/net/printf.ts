// The few C printf conversions whose exact text upstream's messages and outputs depend on
// (`%g` above all: "waiting 2 seconds", "1.5e+06"). Pure functions; no locale.

/** C's `%.{precision}g`: shortest of fixed and exponent notation, trailing zeros removed. */
export function formatG(value: number, precision = 6): string {
  if (!Number.isFinite(value)) {
    if (Number.isNaN(value)) return "nan";
    return value > 0 ? "inf" : "-inf";
  }
  const p = precision === 0 ? 1 : precision;
  if (value === 0) return Object.is(value, -0) ? "-0" : "0";
  const exponent = Math.floor(Math.log10(Math.abs(Number(value.toPrecision(p)))));
  let text: string;
  if (exponent < -4 || exponent >= p) {
    text = value.toExponential(p - 1);
    const [mantissa = "", exp = ""] = text.split("e");
    const trimmed = mantissa.includes(".") ? mantissa.replace(/\.?0+$/, "") : mantissa;
    const sign = exp.startsWith("-") ? "-" : "+";
    const digits = exp.replace(/^[+-]/, "").padStart(2, "0");
    return `${trimmed}e${sign}${digits}`;
  }
  text = value.toFixed(Math.max(0, p - 1 - exponent));
  return text.includes(".") ? text.replace(/\.?0+$/, "") : text;
}
