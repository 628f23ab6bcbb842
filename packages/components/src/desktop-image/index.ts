// Baked xrdp desktop images (desktops boot ready, without a package mirror): the pure bake plan,
// the bake flow, the XrdpDesktopImage component.
export * from "./bake-plan";
export * from "./image-baker";
export * from "./xrdp-desktop-image";
