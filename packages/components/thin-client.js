module.exports = require("@openstack-blueprints/package-loader")(__dirname)("desktop/thin-client");
