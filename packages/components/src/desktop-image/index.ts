// Baked xrdp desktop images (issue 10): the pure bake plan, the bake flow, the XrdpDesktopImage component.
export * from "./bake-plan";
export * from "./image-baker";
export * from "./xrdp-desktop-image";
