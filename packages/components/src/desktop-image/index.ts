// Baked xrdp desktop images (desktops boot ready, without a package mirror): the pure bake plan,
// the bake flow, the component's args and plan, its dynamic bake resource, the XrdpDesktopImage
// component.
export * from "./bake-plan";
export * from "./image-baker";
export * from "./xrdp-desktop-image-args";
export * from "./xrdp-desktop-image-plan";
export * from "./baked-image";
export { XrdpDesktopImage } from "./xrdp-desktop-image";
