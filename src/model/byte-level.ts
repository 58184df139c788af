// GPT-2's reversible byte <-> printable-character map, used by byte-level BPE tokenizer.json
// files (and by @huggingface/tokenizers' ByteLevel pre-tokenizer and decoder).

/** BYTE_TO_CHAR[b] is the single character that stands for byte b inside vocab strings. */
export function byteToCharTable(): string[] {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const table: string[] = new Array<string>(256);
  for (const b of printable) table[b] = String.fromCodePoint(b);
  let next = 0;
  for (let b = 0; b < 256; b++) {
    if (table[b] === undefined) table[b] = String.fromCodePoint(256 + next++);
  }
  return table;
}
