module.exports = require("./load")("internal");
