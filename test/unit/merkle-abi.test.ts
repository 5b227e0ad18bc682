import { expect } from "chai";
import { AbiCoder, getAddress, hexlify } from "ethers";
import fc from "fast-check";
import { AbiEncodeError, compileStaticEncoder, type AbiValue } from "../../src/merkle";

const SEED = 7;
const coder = AbiCoder.defaultAbiCoder();

/** One static type and a fast-check generator of its values (in the forms the encoder accepts). */
function fieldArb(): fc.Arbitrary<{ type: string; value: AbiValue }> {
  const bits = fc.integer({ min: 1, max: 32 }).map((b) => 8 * b);
  const uint = bits.chain((b) =>
    fc
      .oneof(
        fc.bigInt({ min: 0n, max: (1n << BigInt(b)) - 1n }),
        fc.integer({ min: 0, max: Math.min(2 ** b - 1, Number.MAX_SAFE_INTEGER) }),
        fc.bigInt({ min: 0n, max: (1n << BigInt(b)) - 1n }).map((v) => v.toString()),
        fc.bigInt({ min: 0n, max: (1n << BigInt(b)) - 1n }).map((v) => `0x${v.toString(16)}`),
      )
      .map((value) => ({ type: `uint${b}`, value })),
  );
  const int = bits.chain((b) => {
    const lim = 1n << BigInt(b - 1);
    const safe = Math.min(Number(lim) - 1, Number.MAX_SAFE_INTEGER);
    return fc
      .oneof(
        fc.bigInt({ min: -lim, max: lim - 1n }),
        fc.integer({ min: -safe - (b <= 53 ? 1 : 0), max: safe }),
        fc.bigInt({ min: -lim, max: lim - 1n }).map((v) => v.toString()),
      )
      .map((value) => ({ type: `int${b}`, value }));
  });
  const bytes = fc.integer({ min: 1, max: 32 }).chain((n) =>
    fc
      .uint8Array({ minLength: n, maxLength: n })
      .chain((u) => fc.constantFrom<AbiValue>(u, hexlify(u), hexlify(u).toUpperCase().replace("0X", "0x")))
      .map((value) => ({ type: `bytes${n}`, value })),
  );
  const address = fc
    .uint8Array({ minLength: 20, maxLength: 20 })
    .map((u) => ({ type: "address", value: hexlify(u) as AbiValue }));
  const bool = fc.boolean().map((value) => ({ type: "bool", value: value as AbiValue }));
  return fc.oneof(uint, int, bytes, address, bool);
}

describe("merkle: static ABI encoder", function () {
  it("encodes like ethers' AbiCoder for random tuples of static types (property)", function () {
    fc.assert(
      fc.property(fc.array(fieldArb(), { minLength: 1, maxLength: 8 }), (fields) => {
        const types = fields.map((f) => f.type);
        const values = fields.map((f) => f.value);
        const expected = coder.encode(types, values);
        const enc = compileStaticEncoder(types);
        expect(hexlify(enc.encode(values))).to.equal(expected);
        // Encoding at an offset into a larger reused buffer gives the same bytes.
        const buf = new Uint8Array(enc.size + 40).fill(0xee);
        enc.encodeInto(values, buf, 40);
        expect(hexlify(buf.subarray(40))).to.equal(expected);
      }),
      { numRuns: 400, seed: SEED },
    );
  });

  it("encodes the boundaries of uint256, int256 and int8", function () {
    const types = ["uint256", "int256", "int256", "int8", "int8", "uint8"];
    const values = [(1n << 256n) - 1n, -(1n << 255n), (1n << 255n) - 1n, -128, 127, 255];
    expect(hexlify(compileStaticEncoder(types).encode(values))).to.equal(coder.encode(types, values));
  });

  it("encodes a checksummed address like a lowercase one", function () {
    const lower = "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed";
    const enc = compileStaticEncoder(["address"]);
    expect(hexlify(enc.encode([getAddress(lower)]))).to.equal(hexlify(enc.encode([lower])));
  });

  it("treats uint and int as uint256 and int256", function () {
    const values = [5n, -5n];
    expect(hexlify(compileStaticEncoder(["uint", "int"]).encode(values))).to.equal(
      coder.encode(["uint256", "int256"], values),
    );
  });

  describe("errors", function () {
    const cases: [string, unknown, RegExp][] = [
      ["uint8", 256, /field 0 \(uint8\): 256 is out of range for uint8/],
      ["uint64", -1n, /-1 is out of range for uint64/],
      ["int8", -129, /-129 is out of range for int8/],
      ["uint256", 1.5, /1.5 is not a safe integer/],
      ["uint256", 2 ** 60, /is not a safe integer \(pass a bigint or string\)/],
      ["uint256", "12abc", /expected an integer/],
      ["bytes32", "0x1234", /expected 0x followed by 64 hex digits/],
      ["bytes4", "0x1234zz78", /not hex/],
      ["bytes4", new Uint8Array(3), /expected 4 bytes, got 3/],
      ["address", "0x1234", /expected a 0x address of 40 hex digits/],
      ["bool", 1, /expected true or false, got 1/],
    ];
    for (const [type, value, message] of cases) {
      const label =
        typeof value === "bigint"
          ? `${value}n`
          : value instanceof Uint8Array
            ? `Uint8Array(${value.length})`
            : String(value);
      it(`rejects ${label} for ${type}`, function () {
        const enc = compileStaticEncoder([type]);
        expect(() => enc.encode([value])).to.throw(AbiEncodeError, message);
      });
    }

    it("rejects an output buffer too small for the encoding", function () {
      expect(() => compileStaticEncoder(["uint8", "bool"]).encodeInto([1, true], new Uint8Array(64), 8)).to.throw(
        RangeError,
        /64 bytes at offset 8 do not fit in 64 bytes/,
      );
    });

    it("rejects a wrong number of values", function () {
      expect(() => compileStaticEncoder(["uint8", "bool"]).encode([1])).to.throw(
        /expected an array of 2 values for \[uint8, bool\], got an array of 1/,
      );
    });

    for (const type of ["string", "bytes", "uint7", "uint264", "bytes33", "bytes0", "uint08", "tuple"]) {
      it(`rejects the type ${type}`, function () {
        expect(() => compileStaticEncoder([type])).to.throw(/supported static types/);
      });
    }
  });
});
