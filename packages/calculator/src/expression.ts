import { CalculatorError } from "./errors";
import { assertInRange } from "./numbers";

/**
 * Arithmetic expressions: numbers (integers and decimals), + - * /, parentheses and unary
 * minus/plus. Grammar, lowest precedence first (binary operators are left-associative):
 *
 *   expression := term (("+" | "-") term)*
 *   term       := unary (("*" | "/") unary)*
 *   unary      := ("-" | "+") unary | primary
 *   primary    := number | "(" expression ")"
 *   number     := digits ["." digits] | "." digits
 */
export type Expression =
  | { kind: "number"; value: number }
  | { kind: "negate"; operand: Expression }
  | { kind: "binary"; operator: "+" | "-" | "*" | "/"; left: Expression; right: Expression };

/** Limits that keep one request from costing unbounded work (each operator is an HTTP call). */
export const MAX_EXPRESSION_LENGTH = 1000;
export const MAX_NESTING_DEPTH = 64;
export const MAX_OPERATIONS = 200;

interface Token {
  type: "number" | "operator" | "open" | "close";
  text: string;
  position: number;
}

function invalid(message: string): CalculatorError {
  return new CalculatorError("invalid_expression", message);
}

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const ch = source[i];
    if (ch === " " || ch === "\t" || ch === "\n" || ch === "\r") {
      i++;
      continue;
    }
    if ("+-*/".includes(ch)) {
      tokens.push({ type: "operator", text: ch, position: i });
      i++;
      continue;
    }
    if (ch === "(" || ch === ")") {
      tokens.push({ type: ch === "(" ? "open" : "close", text: ch, position: i });
      i++;
      continue;
    }
    const match = /^(?:\d+(?:\.\d+)?|\.\d+)/.exec(source.slice(i));
    if (match) {
      const after = source[i + match[0].length];
      if (after === "." || (after !== undefined && /[0-9A-Za-z_]/.test(after))) {
        throw invalid(`malformed number at position ${i + 1}: "${source.slice(i, i + match[0].length + 1)}"`);
      }
      tokens.push({ type: "number", text: match[0], position: i });
      i += match[0].length;
      continue;
    }
    throw invalid(`unexpected character ${JSON.stringify(ch)} at position ${i + 1}`);
  }
  return tokens;
}

class Parser {
  private index = 0;
  private operations = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly source: string,
  ) {}

  parse(): Expression {
    if (this.tokens.length === 0) throw invalid("the expression is empty");
    const result = this.expression(0);
    const extra = this.peek();
    if (extra) {
      throw invalid(
        extra.type === "close"
          ? `unbalanced ")" at position ${extra.position + 1}`
          : `unexpected ${JSON.stringify(extra.text)} at position ${extra.position + 1}: expected an operator`,
      );
    }
    return result;
  }

  private peek(): Token | undefined {
    return this.tokens[this.index];
  }

  private countOperation(token: Token): void {
    this.operations++;
    if (this.operations > MAX_OPERATIONS) {
      throw invalid(`too many operations (more than ${MAX_OPERATIONS}) at position ${token.position + 1}`);
    }
  }

  private expression(depth: number): Expression {
    let left = this.term(depth);
    for (let t = this.peek(); t && t.type === "operator" && (t.text === "+" || t.text === "-"); t = this.peek()) {
      this.index++;
      this.countOperation(t);
      left = { kind: "binary", operator: t.text, left, right: this.term(depth) };
    }
    return left;
  }

  private term(depth: number): Expression {
    let left = this.unary(depth);
    for (let t = this.peek(); t && t.type === "operator" && (t.text === "*" || t.text === "/"); t = this.peek()) {
      this.index++;
      this.countOperation(t);
      left = { kind: "binary", operator: t.text, left, right: this.unary(depth) };
    }
    return left;
  }

  private unary(depth: number): Expression {
    const t = this.peek();
    if (t && t.type === "operator" && (t.text === "-" || t.text === "+")) {
      if (depth >= MAX_NESTING_DEPTH) throw invalid(`the expression nests deeper than ${MAX_NESTING_DEPTH} levels`);
      this.index++;
      const operand = this.unary(depth + 1);
      return t.text === "-" ? { kind: "negate", operand } : operand;
    }
    return this.primary(depth);
  }

  private primary(depth: number): Expression {
    const t = this.peek();
    if (!t) throw invalid(`the expression ends early at position ${this.source.length + 1}: expected a number or "("`);
    if (t.type === "number") {
      this.index++;
      return { kind: "number", value: assertInRange(Number(t.text), `the number at position ${t.position + 1}`) };
    }
    if (t.type === "open") {
      if (depth >= MAX_NESTING_DEPTH) throw invalid(`the expression nests deeper than ${MAX_NESTING_DEPTH} levels`);
      this.index++;
      const inner = this.expression(depth + 1);
      const close = this.peek();
      if (!close || close.type !== "close") {
        throw invalid(`missing ")" for the "(" at position ${t.position + 1}`);
      }
      this.index++;
      return inner;
    }
    throw invalid(`unexpected ${JSON.stringify(t.text)} at position ${t.position + 1}: expected a number or "("`);
  }
}

/** Parses `source` or throws `invalid_expression` (or `out_of_range` for a literal too large). */
export function parseExpression(source: string): Expression {
  if (source.length > MAX_EXPRESSION_LENGTH) {
    throw invalid(`the expression is ${source.length} characters long; the limit is ${MAX_EXPRESSION_LENGTH}`);
  }
  return new Parser(tokenize(source), source).parse();
}

/** Applies one binary operator; the front end supplies one that calls the operation service. */
export type BinaryOperator = (operator: "+" | "-" | "*" | "/", a: number, b: number) => Promise<number>;

/**
 * Evaluates left to right, one operation at a time (a failing call stops the evaluation
 * at the first failure, so errors are deterministic). Negation is local: it is not a binary
 * operation and no service owns it.
 */
export async function evaluateExpression(expression: Expression, apply: BinaryOperator): Promise<number> {
  switch (expression.kind) {
    case "number":
      return expression.value;
    case "negate":
      return assertInRange(-(await evaluateExpression(expression.operand, apply)), "the negated value");
    case "binary": {
      const a = await evaluateExpression(expression.left, apply);
      const b = await evaluateExpression(expression.right, apply);
      return apply(expression.operator, a, b);
    }
  }
}

/** Counts the binary operations (service calls) an expression needs. */
export function countOperations(expression: Expression): number {
  switch (expression.kind) {
    case "number":
      return 0;
    case "negate":
      return countOperations(expression.operand);
    case "binary":
      return 1 + countOperations(expression.left) + countOperations(expression.right);
  }
}
