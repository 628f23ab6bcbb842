module.exports = require("./load")("testing/index");
