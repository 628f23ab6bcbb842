import { expect } from "chai";
import { CalculatorError } from "../src/errors";
import {
  countOperations,
  evaluateExpression,
  MAX_NESTING_DEPTH,
  MAX_OPERATIONS,
  parseExpression,
} from "../src/expression";
import { MAX_MAGNITUDE } from "../src/numbers";
import { operationForSymbol } from "../src/operations";

/** Evaluates locally with the same operation table the services use, recording each call. */
async function evaluateLocally(source: string): Promise<{ result: number; calls: string[] }> {
  const calls: string[] = [];
  const result = await evaluateExpression(parseExpression(source), async (symbol, a, b) => {
    calls.push(`${a}${symbol}${b}`);
    return operationForSymbol(symbol).apply(a, b);
  });
  return { result, calls };
}

function errorOf(fn: () => unknown): CalculatorError {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(CalculatorError);
    return err as CalculatorError;
  }
  throw new Error("expected an error");
}

describe("calculator expression parser", () => {
  it("honours precedence, parentheses and left associativity", async () => {
    expect((await evaluateLocally("(4+5)*3-10/2")).result).to.equal(22);
    expect((await evaluateLocally("2+3*4")).result).to.equal(14);
    expect((await evaluateLocally("(2+3)*4")).result).to.equal(20);
    expect((await evaluateLocally("10-4-3")).result).to.equal(3);
    expect((await evaluateLocally("64/4/2")).result).to.equal(8);
    expect((await evaluateLocally("2*(3+(4-1))*2")).result).to.equal(24);
  });

  it("handles unary minus/plus and decimals", async () => {
    expect((await evaluateLocally("-3+5")).result).to.equal(2);
    expect((await evaluateLocally("-(2+3)*-2")).result).to.equal(10);
    expect((await evaluateLocally("--4")).result).to.equal(4);
    expect((await evaluateLocally("+7")).result).to.equal(7);
    expect((await evaluateLocally("1.5*4")).result).to.equal(6);
    expect((await evaluateLocally(".5 + 0.25")).result).to.equal(0.75);
    expect((await evaluateLocally("  42  ")).result).to.equal(42);
  });

  it("makes one binary call per operator, in evaluation order, and none for negation", async () => {
    const { calls } = await evaluateLocally("(4+5)*3-10/2");
    expect(calls).to.deep.equal(["4+5", "9*3", "10/2", "27-5"]);
    expect(countOperations(parseExpression("(4+5)*3-10/2"))).to.equal(4);
    expect((await evaluateLocally("-5")).calls).to.deep.equal([]);
  });

  it("rejects malformed expressions with the position", () => {
    const cases: [string, string][] = [
      ["", "the expression is empty"],
      ["   ", "the expression is empty"],
      ["1+", "ends early"],
      ["(1+2", 'missing ")" for the "(" at position 1'],
      ["1+2)", 'unbalanced ")" at position 4'],
      ["1 2", 'unexpected "2" at position 3'],
      ["2*/3", 'unexpected "/" at position 3'],
      ["1.2.3", "malformed number at position 1"],
      ["3x", "malformed number"],
      ["2^3", 'unexpected character "^" at position 2'],
      ["()", 'unexpected ")" at position 2'],
      ["1e5", "malformed number"],
    ];
    for (const [source, message] of cases) {
      const err = errorOf(() => parseExpression(source));
      expect(err.code, source).to.equal("invalid_expression");
      expect(err.status).to.equal(400);
      expect(err.message, source).to.contain(message);
    }
  });

  it("bounds length, nesting and the number of operations", () => {
    expect(errorOf(() => parseExpression("1+".repeat(600) + "1")).message).to.contain("the limit is 1000");
    const deep = "(".repeat(MAX_NESTING_DEPTH + 1) + "1" + ")".repeat(MAX_NESTING_DEPTH + 1);
    expect(errorOf(() => parseExpression(deep)).message).to.contain(`nests deeper than ${MAX_NESTING_DEPTH}`);
    expect(errorOf(() => parseExpression("-".repeat(MAX_NESTING_DEPTH + 1) + "1")).message).to.contain("nests deeper");
    expect(errorOf(() => parseExpression("1+".repeat(MAX_OPERATIONS + 1) + "1")).message).to.contain(
      `too many operations`,
    );
    expect(countOperations(parseExpression("1+".repeat(MAX_OPERATIONS) + "1"))).to.equal(MAX_OPERATIONS);
  });

  it("refuses literals beyond the safe integer range as out_of_range (422)", () => {
    const err = errorOf(() => parseExpression(`${MAX_MAGNITUDE + 2}+1`));
    expect(err.code).to.equal("out_of_range");
    expect(err.status).to.equal(422);
    expect(parseExpression(String(MAX_MAGNITUDE))).to.deep.equal({ kind: "number", value: MAX_MAGNITUDE });
  });
});
