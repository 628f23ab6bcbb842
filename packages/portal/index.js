module.exports = require("./load")("index");
