import { accessSync, constants, statSync } from "node:fs";
import { dirname, resolve } from "node:path";

/** Largest data type TY: the contracts store it as uint16. */
export const MAX_DATA_TYPE = 0xffff;

/** A `--type` value the contracts can hold, or a clear error (ethers would only say "value out-of-bounds"). */
export function dataTypeOption(value: number, flag = "--type"): number {
  if (!Number.isInteger(value) || value < 0 || value > MAX_DATA_TYPE) {
    throw new Error(
      `${flag} ${value} is not a data type: data types are whole numbers 0-${MAX_DATA_TYPE} (1 readings, 2 transactions, 3 events)`,
    );
  }
  return value;
}

/** A 0x address flag, or a clear error naming the flag and what is wrong. */
export function addressOption(value: string, flag: string): string {
  const v = value.trim();
  if (!/^0x[0-9a-fA-F]*$/.test(v)) throw new Error(`${flag} ${value} is not an address: expected 0x and 40 hex digits`);
  if (v.length !== 42) {
    throw new Error(
      `${flag} ${value} is not an address: expected 0x and 40 hex digits, got ${v.length - 2} (truncated or mistyped?)`,
    );
  }
  return v;
}

/**
 * Checks that a result file can be written at `path` before anything is sent: its folder exists and is writable,
 * and the path is not a folder. Tasks that send a transaction and then write must not fail after the fact.
 */
export function writableFileOption(path: string, flag = "--out"): string {
  const full = resolve(path);
  let isDir = false;
  try {
    isDir = statSync(full).isDirectory();
  } catch {
    // A file that does not exist yet is fine; its folder is checked below.
  }
  if (isDir) throw new Error(`${flag} ${path} is a folder: give a file path (for example ${path}/out.json)`);
  const folder = dirname(full);
  try {
    if (!statSync(folder).isDirectory()) throw new Error(`${flag} ${path}: ${folder} is not a folder`);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT")
      throw new Error(`${flag} ${path}: the folder ${dirname(path)} does not exist (create it first)`);
    throw e;
  }
  try {
    accessSync(folder, constants.W_OK);
  } catch {
    throw new Error(`${flag} ${path}: the folder ${dirname(path)} is not writable`);
  }
  try {
    accessSync(full, constants.W_OK);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw new Error(`${flag} ${path}: the file is not writable`);
  }
  return path;
}
