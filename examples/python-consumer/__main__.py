"""A routed network and an SSH-from-the-LAN security profile from Python.

The `pulumi_openstack_blueprints` module does not exist until you run, in this directory:

    pulumi package add ../../packages/components/plugin

which infers the schema from the TypeScript source and generates a local Python SDK
(under sdks/, added to requirements.txt).
"""
import pulumi
import pulumi_openstack_blueprints as blueprints

lab = blueprints.PrivateNetwork(
    "lab",
    cidr="10.70.0.0/24",
    external_network_name="public",
    dns_nameservers=["9.9.9.9"],
    internet_access=True,
)

admin = blueprints.SecurityProfile(
    "lab-admin",
    description="SSH from the lab network only",
    rules=[
        blueprints.SecurityRuleArgsArgs(protocol="tcp", port=22, remote_cidr="10.70.0.0/24"),
        blueprints.SecurityRuleArgsArgs(protocol="icmp", remote_cidr="10.70.0.0/24"),
    ],
)

pulumi.export("network_id", lab.network_id)
pulumi.export("security_group_id", admin.security_group_id)
