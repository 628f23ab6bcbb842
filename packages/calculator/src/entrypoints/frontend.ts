// Bundle entry point of the calculator front end.
import { runFrontend } from "../main";

runFrontend(process.argv.slice(2), process.env);
