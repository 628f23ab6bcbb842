// Bundle entry point of the sum operation service.
import { runOperation } from "../main";

runOperation("sum", process.argv.slice(2), process.env);
