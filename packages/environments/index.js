module.exports = require("@openstack-blueprints/package-loader")(__dirname)("index");
