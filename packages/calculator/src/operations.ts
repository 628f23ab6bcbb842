import { CalculatorError } from "./errors";

/** The four operation services, each owning one binary operator. */
export type OperationName = "sum" | "sub" | "mul" | "div";

export interface Operation {
  name: OperationName;
  symbol: "+" | "-" | "*" | "/";
  /** Default TCP port (the lab's 50001–50004). */
  defaultPort: number;
  apply(a: number, b: number): number;
}

export const OPERATIONS: Record<OperationName, Operation> = {
  sum: { name: "sum", symbol: "+", defaultPort: 50001, apply: (a, b) => a + b },
  sub: { name: "sub", symbol: "-", defaultPort: 50002, apply: (a, b) => a - b },
  mul: { name: "mul", symbol: "*", defaultPort: 50003, apply: (a, b) => a * b },
  div: {
    name: "div",
    symbol: "/",
    defaultPort: 50004,
    apply: (a, b) => {
      if (b === 0) throw new CalculatorError("division_by_zero", `division by zero: ${a} / ${b}`);
      return a / b;
    },
  },
};

export const OPERATION_NAMES: readonly OperationName[] = ["sum", "sub", "mul", "div"];

export const FRONTEND_DEFAULT_PORT = 50000;

export function operationForSymbol(symbol: string): Operation {
  const found = OPERATION_NAMES.map((n) => OPERATIONS[n]).find((op) => op.symbol === symbol);
  if (!found) throw new Error(`no operation for symbol ${JSON.stringify(symbol)}`);
  return found;
}

export function isOperationName(value: string): value is OperationName {
  return (OPERATION_NAMES as readonly string[]).includes(value);
}
