// Bundle entry point of the sub operation service.
import { runOperation } from "../main";

runOperation("sub", process.argv.slice(2), process.env);
