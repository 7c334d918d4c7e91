"""The few MuJoCo helpers the xArm task needs (names -> ids, joint/site/mocap accessors), on MuJoCo 3."""

import mujoco
import numpy as np

# qpos width of each joint type (free: xyz + quaternion, ball: quaternion).
_QPOS_WIDTH = {
    mujoco.mjtJoint.mjJNT_FREE: 7,
    mujoco.mjtJoint.mjJNT_BALL: 4,
    mujoco.mjtJoint.mjJNT_HINGE: 1,
    mujoco.mjtJoint.mjJNT_SLIDE: 1,
}


def _id(model: mujoco.MjModel, obj: mujoco.mjtObj, name: str) -> int:
    idx = mujoco.mj_name2id(model, obj, name)
    if idx < 0:
        raise KeyError(f"No {obj.name.removeprefix('mjOBJ_').lower()} named {name!r} in the MuJoCo model.")
    return idx


def body_id2name(model: mujoco.MjModel) -> dict[int, str]:
    return {i: mujoco.mj_id2name(model, mujoco.mjtObj.mjOBJ_BODY, i) for i in range(model.nbody)}


def _joint_slice(model: mujoco.MjModel, name: str) -> slice:
    joint_id = _id(model, mujoco.mjtObj.mjOBJ_JOINT, name)
    start = int(model.jnt_qposadr[joint_id])
    return slice(start, start + _QPOS_WIDTH[mujoco.mjtJoint(model.jnt_type[joint_id])])


def get_joint_qpos(model: mujoco.MjModel, data: mujoco.MjData, name: str) -> np.ndarray:
    return data.qpos[_joint_slice(model, name)].copy()


def set_joint_qpos(model: mujoco.MjModel, data: mujoco.MjData, name: str, value) -> None:
    sl = _joint_slice(model, name)
    value = np.asarray(value, dtype=np.float64).reshape(-1)
    if value.shape[0] != sl.stop - sl.start:
        raise ValueError(f"Joint {name!r} has {sl.stop - sl.start} qpos values, got {value.shape[0]}.")
    data.qpos[sl] = value


def get_site_xpos(model: mujoco.MjModel, data: mujoco.MjData, name: str) -> np.ndarray:
    return data.site_xpos[_id(model, mujoco.mjtObj.mjOBJ_SITE, name)].copy()


def _site_jacobians(model: mujoco.MjModel, data: mujoco.MjData, name: str) -> tuple[np.ndarray, np.ndarray]:
    jacp = np.zeros((3, model.nv))
    jacr = np.zeros((3, model.nv))
    mujoco.mj_jacSite(model, data, jacp, jacr, _id(model, mujoco.mjtObj.mjOBJ_SITE, name))
    return jacp, jacr


def get_site_xvelp(model: mujoco.MjModel, data: mujoco.MjData, name: str) -> np.ndarray:
    """Linear velocity of a site in world coordinates (Jacobian @ qvel)."""
    return _site_jacobians(model, data, name)[0] @ data.qvel


def get_site_xvelr(model: mujoco.MjModel, data: mujoco.MjData, name: str) -> np.ndarray:
    """Angular velocity of a site in world coordinates (Jacobian @ qvel)."""
    return _site_jacobians(model, data, name)[1] @ data.qvel


def _mocap_id(model: mujoco.MjModel, body_name: str) -> int:
    mocap_id = int(model.body_mocapid[_id(model, mujoco.mjtObj.mjOBJ_BODY, body_name)])
    if mocap_id < 0:
        raise ValueError(f"Body {body_name!r} is not a mocap body.")
    return mocap_id


def set_mocap_pos(model: mujoco.MjModel, data: mujoco.MjData, body_name: str, value) -> None:
    data.mocap_pos[_mocap_id(model, body_name)] = value


def set_mocap_quat(model: mujoco.MjModel, data: mujoco.MjData, body_name: str, value) -> None:
    data.mocap_quat[_mocap_id(model, body_name)] = value
