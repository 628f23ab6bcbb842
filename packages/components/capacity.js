module.exports = require("./load")("desktop/capacity");
