// What other languages must see of each exposed component: the one place to extend when a
// component lands (add it to src/provider-components.ts and here). The schema test fails when
// a component listed here is not exposed, cannot be inferred, or loses an input or output.
export interface ExpectedComponent {
  /** Class name; the type token is openstack-blueprints:index:<name>. */
  name: string;
  requiredInputs: string[];
  optionalInputs: string[];
  outputs: string[];
}

export const EXPECTED_COMPONENTS: ExpectedComponent[] = [
  {
    name: "PrivateNetwork",
    requiredInputs: ["cidr"],
    optionalInputs: [
      "gatewayIp", "noGateway", "enableDhcp", "allocationPools", "dnsNameservers", "hostRoutes", "externalNetworkName",
      "externalNetworkId", "createRouter", "existingRouterId", "internetAccess", "mtu", "portSecurityEnabled", "tags", "networkName",
    ],
    outputs: ["networkId", "subnetId", "cidr", "gatewayIp", "routerId", "routerInterfaceId", "externalGatewayIp", "dnsNameservers"],
  },
  {
    name: "SecurityProfile",
    requiredInputs: ["rules"],
    optionalInputs: ["groupName", "description", "deleteDefaultRules", "tags"],
    outputs: ["securityGroupId", "securityGroupName", "ruleIds", "ruleKeys"],
  },
  {
    name: "TwoTierCalculatorTopology",
    requiredInputs: ["imageName", "flavorName", "externalNetworkName", "clientCidr"],
    optionalInputs: [
      "keyPairName", "sshClientCidr", "frontendCidr", "serviceCidr", "frontendGatewayIp", "innerRouterFrontendIp", "serviceGatewayIp",
      "frontendIp", "serviceIps", "frontendPort", "servicePorts", "serviceInternetEgress", "nodejsSource", "dnsNameservers", "serviceTimeoutMs",
      "serviceEgressRouter",
    ],
    outputs: [
      "publicUrl", "floatingIp", "frontendIp", "serviceIps", "serviceUrls", "outerRouterId", "innerRouterId",
      "frontendNetworkId", "frontendSubnetId", "serviceNetworkId", "serviceSubnetId", "instanceIds",
    ],
  },
  {
    name: "ThinClientDesktopPool",
    requiredInputs: ["employees", "flavor", "thinClientCidr"],
    optionalInputs: [
      "imageName", "imageId", "imageUrl", "imageDiskFormat", "bootVolumeSizeGiB", "networkId", "subnetId", "networkCidr", "externalNetworkName",
      "dnsNameservers", "floatingIpPool", "allowRdpFromAnywhere", "adminCidr", "adminPublicKey", "adminUser", "extraPackages",
      "imageHasDesktopPackages", "bakedDesktopImage", "installRecommends", "rdpGroup", "hostnamePrefix", "passwordLength", "computeHosts", "flavorSizes",
      "allocationRatios", "cpuAllocationRatio", "ramAllocationRatio", "workspace", "jupyterServer", "jupyterPort",
      "diskAllocationRatio", "projectLimits", "projectUsage", "disconnectedTimeLimitSeconds", "idleTimeLimitSeconds", "clipboard", "driveRedirection",
    ],
    outputs: ["desktops", "passwords", "rdpFiles", "remminaProfiles", "jupyterUrls", "connectionSheet", "securityGroupId", "networkId", "capacitySummary"],
  },
  {
    name: "DevstackHost",
    requiredInputs: ["connection","hostIp"],
    optionalInputs: ["branch","devstackRepoUrl","gitBase","floatingRange","publicNetworkGateway","floatingAllocationStart","floatingAllocationEnd","fixedRange","publicInterface","enabledServices","disabledServices","volumeBackingFileSize","cpuAllocationRatio","ramAllocationRatio","diskAllocationRatio","region","extraLocalrcLines","minRamMiB","minFreeDiskGiB","manageEtcHosts","extraPackages","rebuild","stackTimeoutMinutes","extraVolumeDevice","cinderVolumeGroup","persistentNat","natInterface","proxyArp","unstackOnDelete","cleanOnDelete","cloudName","quotas","images","flavors"],
    outputs: ["dashboardUrl","identityUrl","authUrl","region","adminUserName","adminProjectName","userDomainName","projectDomainName","adminPassword","cloudsYaml","providerUrn","branch","imageIds","flavorIds"],
  },
  {
    name: "GanetiDrbdCluster",
    requiredInputs: ["clusterAddress","clusterName","clusterSshPrivateKey","clusterSshPublicKey","nodes"],
    optionalInputs: ["ganetiVersion","masterNode","hypervisor","diskTemplates","volumeGroup","fileStorageDir","sharedFileStorageDir","network","masterNetdev","drbdUsermodeHelper","drbdMinorCount","kvmParameters","timeSync","isoImages","instances","minDiskSizeMiB","verifyIgnoreErrors"],
    outputs: ["clusterName","clusterAddress","masterNode","nodeNames","verifyPassed","verifyOutput","nodes","instances","consolePorts"],
  },
  {
    name: "S2DMigration",
    requiredInputs: ["source","sourceServer","target"],
    optionalInputs: ["targetName","securityGroup","network","floatingIp","floatingNetwork","keypairMode","keypairName","publicKey","flavorName","stopSource","imageVisibility","retainInTarget","journalDir","keepSourceSnapshot"],
    outputs: ["targetServerId","targetServerStatus","floatingIp","targetImageId","checksums"],
  },
  {
    name: "XrdpDesktopImage",
    requiredInputs: ["baseImageId", "flavorId", "networkId", "osDistro"],
    optionalInputs: ["cloud", "credentials", "osVersion", "namePrefix", "extraPackages", "installRecommends", "rdpGroup", "consoleTimeoutSeconds", "retainOnDelete"],
    outputs: ["imageId", "imageName", "packageHash", "bakeUserData"],
  },
];
