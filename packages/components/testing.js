module.exports = require("@openstack-blueprints/package-loader")(__dirname)("testing/index");
