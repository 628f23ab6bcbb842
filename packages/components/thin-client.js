module.exports = require("./load")("desktop/thin-client");
